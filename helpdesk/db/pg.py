"""What PostgreSQL needs beyond SQLAlchemy's defaults.

- Writes: every write transaction takes one advisory lock, so writers from several
  server processes queue up as they do on SQLite (Database.write takes it in-process).
- NUL characters: PostgreSQL text cannot hold U+0000, which SQLite stores as given. So
  text is escaped on the way in and unescaped on the way out, losslessly: U+0000 becomes
  U+E000 "0" and U+E000 (a private-use character) itself becomes U+E000 U+E000.
- Live events: published in one process, they reach every other process through
  NOTIFY/LISTEN (EventRelay), so a colleague served by another process sees a new
  message at once too.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import uuid
from typing import TYPE_CHECKING, Any, Iterable

import psycopg
from psycopg.abc import Buffer
from psycopg.types.string import StrDumper, TextLoader
from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from sqlmodel import Session

    from helpdesk.events import Event, EventBus

log = logging.getLogger(__name__)

# Arbitrary but fixed keys: "HDWR" (writes) and "HDJB" (the scheduled jobs).
WRITE_LOCK_KEY = 0x48445752
JOBS_LOCK_KEY = 0x48444A42
CHANNEL = "helpdesk_events"
NOTIFY_LIMIT = 7900  # PostgreSQL's payload limit is 8000 bytes



def new_origin() -> str:
    """An id per Database, so an app ignores the notifications of its own events."""
    return uuid.uuid4().hex

_ESCAPE = "\ue000"
_UNESCAPE = re.compile("\ue000(.)", re.DOTALL)


def escape_nul(value: str) -> str:
    if "\x00" not in value and _ESCAPE not in value:
        return value
    return value.replace(_ESCAPE, _ESCAPE + _ESCAPE).replace("\x00", _ESCAPE + "0")


def unescape_nul(value: str) -> str:
    if _ESCAPE not in value:
        return value
    return _UNESCAPE.sub(lambda m: _ESCAPE if m.group(1) == _ESCAPE else "\x00", value)


class NulEscapingDumper(StrDumper):
    def dump(self, obj: str) -> Buffer | None:
        return super().dump(escape_nul(obj))


class NulUnescapingLoader(TextLoader):
    def load(self, data: Buffer) -> str:
        text = super().load(data)
        return unescape_nul(text if isinstance(text, str) else bytes(text).decode())


def configure(engine: Engine) -> None:
    @sa_event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        adapters = dbapi_connection.adapters
        adapters.register_dumper(str, NulEscapingDumper)
        for oid_name in ("text", "varchar", "bpchar"):
            adapters.register_loader(oid_name, NulUnescapingLoader)

    @sa_event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("helpdesk_write"):
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")


def notify(session: "Session", events: Iterable["Event"], origin: str) -> None:
    """Queue the transaction's events for the other processes (sent only on commit)."""
    for ev in events:
        payload = json.dumps({"origin": origin, "type": ev.type,
                              "conversation_id": ev.conversation_id, "data": ev.data}, default=str)
        if len(payload) > NOTIFY_LIMIT:  # the others only need to know what changed
            payload = json.dumps({"origin": origin, "type": ev.type,
                                  "conversation_id": ev.conversation_id, "data": {}})
        session.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload})


def psycopg_conninfo(sqlalchemy_url: str) -> str:
    from sqlalchemy import make_url

    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class EventRelay:
    """Listens on the events channel and republishes other processes' events locally."""

    def __init__(self, database_url: str, bus: "EventBus", origin: str) -> None:
        self._conninfo = psycopg_conninfo(database_url)
        self._bus = bus
        self._origin = origin
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="helpdesk-pg-events", daemon=True)
        self.connected = threading.Event()

    def start(self) -> "EventRelay":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        from helpdesk.events import Event

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.connected.set()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            message = json.loads(note.payload)
                            if message.get("origin") == self._origin:
                                continue
                            self._bus.data_changed()
                            self._bus.publish(Event(type=message["type"],
                                                    conversation_id=message.get("conversation_id"),
                                                    data=message.get("data") or {}))
            except Exception:  # the database restarted or the network blinked: listen again
                self.connected.clear()
                log.warning("lost the PostgreSQL event channel; reconnecting", exc_info=True)
                self._stop.wait(1.0)


class JobsLock:
    """A session-level advisory lock on its own connection: held by exactly one process
    at a time, and released by PostgreSQL itself if that process dies. A process that
    does not hold it keeps its connection and simply asks again."""

    def __init__(self, database_url: str) -> None:
        self._conninfo = psycopg_conninfo(database_url)
        self._conn: psycopg.Connection | None = None
        self._held = False

    def try_acquire(self) -> bool:
        if self._held:
            return True
        if self._conn is None or self._conn.closed:
            # Named, so an operator (or a test) can see which process runs the jobs.
            self._conn = psycopg.connect(self._conninfo, autocommit=True,
                                         application_name=f"helpdesk-jobs pid={os.getpid()}")
        try:
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (JOBS_LOCK_KEY,)).fetchone()
            self._held = bool(row and row[0])
        except psycopg.Error:
            self.release()
        return self._held

    def still_held(self) -> bool:
        if not self._held or self._conn is None:
            return False
        try:
            self._conn.execute("SELECT 1")
            return True
        except psycopg.Error:  # the session is gone, and the lock with it
            self.release()
            return False

    def release(self) -> None:
        self._held = False
        if self._conn is not None:
            try:
                self._conn.close()  # closing the session releases the lock
            except psycopg.Error as exc:  # the server is gone: so is the lock
                log.debug("closing the jobs lock's connection failed: %s", exc)
            self._conn = None
