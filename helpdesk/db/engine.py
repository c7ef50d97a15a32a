"""Engine, sessions and the write discipline.

Every write goes through `Database.write()`, which runs only on the database's one
writer thread (as Datasette does with its write thread): services mark their write
methods with `@writes`, which hands the call to that thread whoever makes it. Short
transactions start with BEGIN IMMEDIATE on SQLite so a reader never has to upgrade to
a writer; events are published only after the commit. Reads run in parallel with
`Database.read()`, never on an event loop.

On PostgreSQL several server processes may share one database, so a write transaction
also takes a transaction-level advisory lock: the same one-writer-at-a-time rule across
processes, which keeps every business rule (threading, idempotency, breaches recorded
once) exactly as it is on SQLite. Its events also go to the other processes, by
NOTIFY inside the transaction (delivered only if it commits); see helpdesk/db/pg.py.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import json
import logging
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar, cast

import orjson
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from helpdesk.db.direct import BATCH_MEMO, direct
from helpdesk.events import Event, EventBus

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Group commit: how many queued writes one transaction takes at most (each still in its own
# savepoint, each acknowledged only after the commit).
BATCH_LIMIT = 64
WRITER_THREAD = "helpdesk-writer"  # the one thread that writes (its name, for tests and profiles)
T = TypeVar("T")
log = logging.getLogger(__name__)


class Transaction:
    """A write in progress: its session and the events to publish once it commits."""

    def __init__(self, session: Session, batch: "_Batch | None" = None) -> None:
        self.session = session
        self.events: list[Event] = []
        self._batch = batch

    def direct(self) -> Any:
        """The transaction's connection for prepared statements (db/direct.py); inside a group
        commit, one for the whole group (the session hands its connection out slowly)."""
        if self._batch is None:
            return direct(self.session.connection())
        return self._batch.direct

    def emit(self, type: str, conversation_id: int | None = None, **data: Any) -> None:
        self.events.append(Event(type=type, conversation_id=conversation_id, data=data))


class _Batch:
    """The writer thread's current group commit: one session, the events of the writes that
    succeeded (published once it commits). A careful batch gives every write a savepoint; an
    optimistic one (SQLite) does not, and is `tainted` once a write that changed rows fails."""

    def __init__(self, session: Session, careful: bool) -> None:
        self.session = session
        self.events: list[Event] = []
        self.careful = careful
        self.tainted = False
        connection = session.connection()  # begins the transaction; asked for once (~15 µs a time)
        self.info = connection.info
        self.direct: Any = direct(connection)
        self._raw: Any = connection.connection.dbapi_connection

    def changes(self) -> int:
        """Rows this connection has changed so far (SQLite's total_changes)."""
        return int(self._raw.total_changes)


def json_text(value: Any) -> str:
    """JSON columns' text: orjson, ~8x quicker than json.dumps for a webhook payload, which every
    message writes (docs/performance.md); json.dumps for what orjson refuses (integers past 64 bits)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value)


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # the caller went away (a client hung up); the write stands
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


def _settle_all(settled: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for future, ok, value in settled:
        _settle(future, ok, value)


class WrongThread(RuntimeError):
    """A write off the writer thread, or a blocking database call on an event loop: a bug."""


def _running_loop() -> asyncio.AbstractEventLoop | None:
    return asyncio._get_running_loop()  # C-fast; the public get_running_loop raises instead


class Database:
    def __init__(self, url: str, bus: EventBus | None = None, sqlite_synchronous: str = "FULL") -> None:
        self.url = url
        self.bus = bus or EventBus()
        self.is_sqlite = url.startswith("sqlite")
        self._writer_ident: int | None = None
        self._writing = False  # only the writer thread reads or sets it
        # The event loops that serve people (the server's): a blocking call on one of them is a bug.
        self._served_loops: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix=WRITER_THREAD,
                                          initializer=self._become_writer)
        self._batch: _Batch | None = None  # only the writer thread reads or sets it
        # Writes waiting for the next group commit.
        self._queued: collections.deque[tuple[Any, ...]] = collections.deque()
        self._queued_lock = threading.Lock()
        self._drain_scheduled = False
        self._pg: Any = None  # helpdesk.db.pg, on PostgreSQL
        self.origin: str | None = None  # this database's id in NOTIFY payloads (PostgreSQL)
        if self.is_sqlite:
            self.engine = create_engine(
                url,
                connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
                pool_size=8,
                max_overflow=16,
                json_serializer=json_text,
            )
            _configure_sqlite(self.engine, sqlite_synchronous)
        else:
            from helpdesk.db import pg  # psycopg is loaded only for PostgreSQL

            self.engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True,
                                        json_serializer=json_text)
            pg.configure(self.engine)
            self._pg = pg
            self.origin = pg.new_origin()
        self._write_engine = self.engine.execution_options(helpdesk_write=True)
        self._write_connection: Any = None  # SQLite: the writer thread's own (_write_bind)

    # ---- the one write path --------------------------------------------------------------

    def serves_on(self, loop: asyncio.AbstractEventLoop) -> None:
        """The server runs its requests and every agent session on this loop."""
        if loop not in self._served_loops:
            self._served_loops.add(loop)

    def _blocking_a_served_loop(self) -> bool:
        loop = _running_loop()
        return loop is not None and loop in self._served_loops

    def _become_writer(self) -> None:
        self._writer_ident = threading.get_ident()

    @property
    def on_writer_thread(self) -> bool:
        return threading.get_ident() == self._writer_ident

    def on_writer(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call fn on the writer thread and wait for it (directly when already there).
        Services' write methods go through here (services.base.writes), whoever calls them:
        the UI, the API, jobs, the command line, channel workers."""
        if self.on_writer_thread:
            return fn(*args, **kwargs)
        if self._blocking_a_served_loop():
            raise WrongThread(f"{getattr(fn, '__qualname__', fn)} would block the event loop: "
                              "await Database.run_write(...) instead")
        return self._writer.submit(fn, *args, **kwargs).result()

    async def run_write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a writing service call on the single writer thread, from async code.

        As Datasette does, writes queue up for one thread instead of many pool threads
        contending for a lock (measured: fewer context switches, higher intake rate)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, functools.partial(fn, *args, **kwargs))

    async def run_write_batched(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """As run_write, for many small independent writes arriving together (customer messages
        from the intake API): the writer takes every one waiting, up to BATCH_LIMIT, into one
        transaction with one commit (one fsync); one that fails is undone alone (_commit_batch says
        how). Each caller hears back only after that commit: acknowledged means durable.
        What customer messages never change (webhooks, mailboxes) is read once a group
        (db/direct.py's `settings` statements): a write that changes them is not batched."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._queued_lock:
            self._queued.append((fn, args, kwargs, loop, future))
            start = not self._drain_scheduled
            self._drain_scheduled = True
        if start:
            self._writer.submit(self._drain)
        return await future

    def _drain(self) -> None:
        """One group commit of what is queued; more waiting go to the back of the writer's queue,
        so replies, rules and jobs get their turn between batches."""
        with self._queued_lock:
            jobs = [self._queued.popleft() for _ in range(min(len(self._queued), BATCH_LIMIT))]
        try:
            self._commit_batch(jobs)
        finally:
            with self._queued_lock:
                again = bool(self._queued)
                self._drain_scheduled = again
            if again:
                self._writer.submit(self._drain)

    def _commit_batch(self, jobs: list[Any]) -> None:
        # On SQLite the batch first runs without savepoints: each costs a statement, and makes
        # FTS5 write its pending index entries out as a segment of their own (~0.1 ms a message,
        # docs/performance.md). A write that fails having changed nothing (a refused message, a
        # replay conflict: the usual failures) fails alone as before; one that fails after
        # changing rows can only be undone with the rest, so then the batch runs again with
        # every write in its own savepoint, and only that write fails.
        try:
            ran = self._run_batch(jobs, careful=not self.is_sqlite) or self._run_batch(jobs, careful=True)
            assert ran is not None  # a careful run always finishes
            outcomes, published = ran
        except Exception as exc:  # it could not even begin (the disk, a lock): each caller hears so
            log.warning("a group commit of %d writes could not run: %s", len(jobs), exc)
            outcomes, published = [(False, exc)] * len(jobs), []
        self.bus.data_changed()
        for ev in published:
            self.bus.publish(ev)
        # One wake-up of each waiting loop for the whole group, not one a message (each is a
        # write to the loop's self-pipe and a turn of the loop).
        answers: dict[Any, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
        for (_fn, _args, _kwargs, loop, future), (ok, value) in zip(jobs, outcomes):
            answers.setdefault(loop, []).append((future, ok, value))
        for loop, settled in answers.items():
            loop.call_soon_threadsafe(_settle_all, settled)

    def _run_batch(self, jobs: list[Any], careful: bool) -> tuple[list[tuple[bool, Any]], list[Event]] | None:
        """Run and commit one group: each write's outcome and the events to publish; None if it
        must run again carefully (nothing was committed)."""
        outcomes: list[tuple[bool, Any]] = []
        with Session(self._write_bind(), expire_on_commit=False) as session:
            batch = self._batch = _Batch(session, careful)
            memo_on = batch.info if self.is_sqlite else {}
            memo_on[BATCH_MEMO] = {}  # settings read once for the whole group (db/direct.py)
            try:
                for fn, args, kwargs, _loop, _future in jobs:
                    mark = len(batch.events)
                    try:
                        if careful:
                            with _savepoint(session, "hd_job"):
                                value = fn(*args, **kwargs)
                        else:
                            before = batch.changes()
                            try:
                                value = fn(*args, **kwargs)
                                session.flush()
                            except Exception:
                                session.expunge_all()  # its pending objects must not reach the commit
                                if batch.tainted or batch.changes() != before:
                                    session.rollback()
                                    return None
                                raise
                            if batch.tainted:  # it caught a failed write of its own and went on
                                session.rollback()
                                return None
                    except Exception as exc:  # this write alone is undone; the others go on
                        del batch.events[mark:]
                        outcomes.append((False, exc))
                    else:
                        outcomes.append((True, value))
                if batch.events and not self.is_sqlite:
                    self._pg.notify(session, batch.events, self.origin)
                session.commit()
            except Exception as exc:  # the commit itself failed: nothing of the batch was stored
                log.warning("a group commit of %d writes failed: %s", len(jobs), exc)
                session.rollback()
                outcomes = [(False, exc)] * len(jobs)
                batch.events.clear()
            finally:
                self._batch = None
                memo_on.pop(BATCH_MEMO, None)
        return outcomes, batch.events

    def _write_bind(self) -> Any:
        """What a write's session runs on. On SQLite, one connection the writer thread keeps: its
        page cache stays valid from one write to the next, as nothing else writes. A connection
        from the pool had to read again every page it touched (its cache dropped whenever the
        file changed since it was last used): 7 reads from the file a customer message, 55 µs
        (strace, docs/performance.md). On PostgreSQL the pool, which replaces a broken connection."""
        if not self.is_sqlite:
            return self._write_engine
        kept = self._write_connection
        if kept is not None and (kept.closed or kept.invalidated or kept.in_transaction()
                                 or kept.connection.driver_connection.in_transaction):
            kept.close()  # a write that failed oddly (its commit, say) left it unsure: the pool resets it
            kept = None
        if kept is None:
            kept = self._write_connection = self._write_engine.connect()
        return kept

    @contextmanager
    def write(self) -> Iterator[Transaction]:
        """One write transaction, only on the writer thread; events are published after it commits.
        Inside a group commit it is a savepoint of the group's transaction instead."""
        if not self.on_writer_thread:
            raise WrongThread("a database write outside the writer thread: decorate the service "
                              "method with @writes (services/base.py) or use Database.run_write")
        if self._batch is not None and not self._writing:
            yield from self._write_in_batch(self._batch)
            return
        if self._writing:  # a second connection would wait on the first one's lock until it timed out
            raise WrongThread("a write transaction inside another: do the inner work on the outer transaction")
        self._writing = True
        try:
            with Session(self._write_bind(), expire_on_commit=False) as session:
                tx = Transaction(session)
                try:
                    yield tx
                    if tx.events and not self.is_sqlite:  # the other processes' agents too
                        self._pg.notify(session, tx.events, self.origin)
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        finally:
            self._writing = False
        self.bus.data_changed()
        for ev in tx.events:
            self.bus.publish(ev)

    def _write_in_batch(self, batch: _Batch) -> Iterator[Transaction]:
        self._writing = True
        try:
            tx = Transaction(batch.session, batch)
            if batch.careful:
                with _savepoint(batch.session, "hd_write"):
                    yield tx
            else:
                before = batch.changes()
                try:
                    yield tx
                except BaseException:
                    if batch.changes() != before:  # only a careful run can undo this write alone
                        batch.tainted = True
                    raise
        finally:
            self._writing = False
        batch.events.extend(tx.events)

    # ---- reads --------------------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session in its own snapshot; reads run in parallel on pooled
        connections, never on an event loop (they would stall every agent and the API)."""
        if self._blocking_a_served_loop():
            raise WrongThread("a database read on the event loop: use asyncio.to_thread or a plain def route")
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    async def run_read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a reading service call in a worker thread, from async code."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    def dispose(self) -> None:
        self._writer.shutdown(wait=True)
        if self._write_connection is not None:
            self._write_connection.close()
        self.engine.dispose()


@contextmanager
def _savepoint(session: Session, name: str) -> Iterator[None]:
    """A savepoint inside a group commit, on the DB-API connection: the ORM's begin_nested()
    compiles and runs ~150 µs of Python for each (a third of a message's cost). The ORM's
    part is done here instead: what a write leaves pending is flushed inside its savepoint,
    and a write undone leaves nothing behind in the session to be flushed later. (An ORM flush
    that fails inside one leaves the session needing a rollback: then the batch's commit fails
    and none of it is acknowledged. Batched writes, customer messages, are Core statements.)"""
    cursor = cast(Any, session.connection().connection.dbapi_connection).cursor()
    cursor.execute(f"SAVEPOINT {name}")
    try:
        yield
        session.flush()
    except BaseException:
        session.expunge_all()  # its pending objects must not reach the batch's commit
        cursor.execute(f"ROLLBACK TO SAVEPOINT {name}")
        cursor.execute(f"RELEASE SAVEPOINT {name}")
        raise
    cursor.execute(f"RELEASE SAVEPOINT {name}")


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    if synchronous not in {"FULL", "NORMAL"}:
        raise ValueError("synchronous must be FULL or NORMAL")

    @sa_event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below issue BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @sa_event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        # On the driver itself: SQLAlchemy's statement path cost ~40 µs a transaction, and every
        # group commit of customer messages begins one.
        begin = "BEGIN IMMEDIATE" if conn.get_execution_options().get("helpdesk_write") else "BEGIN"
        conn.connection.driver_connection.execute(begin)
