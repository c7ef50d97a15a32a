"""The intake process: while customer messages pour in through the intake API, a second
process writes them (SQLite).

Why: the HTTP server and the database writer share one process and so one GIL; at about a
thousand messages a second they used one of two cores and left the other idle
(docs/performance.md). Here the server keeps parsing, authenticating and answering, and a
second process writes the same service call (services/intake_api.py) in group commits of its
own on the same database file (SQLite queues the two writers). It sends back each message's
result and the events of what it stored, which the server publishes as if it had written them
itself: live inboxes, the outbox, webhooks and automation wake up as before.

- Started by the first burst (`intake_process_burst` messages waiting at once), never at
  start-up: a quiet shop never runs it and a cold start stays as fast. It stays up until the
  server stops, and exits by itself when the server's end of its pipe closes (a crash too).
- Its services are built afresh whenever the server has committed anything else since the
  last batch (a setting, a rule, a token may have changed), so nothing it caches is older.
- Acknowledged means committed by that process, as in the server. If it dies, the messages in
  flight fail with 503 (try again: with an idempotency key a retry is never a duplicate) and
  the server writes intake itself again until the next burst starts a new one.
- Messages with files stay in the server, whose staging area holds their bytes.
- Not with PostgreSQL, where several server processes are the way to more intake already, nor
  with a test's manual clock (the process keeps real time)."""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import multiprocessing
import pickle
import signal
import threading
from typing import TYPE_CHECKING, Any

from helpdesk.config import Settings
from helpdesk.db import Database
from helpdesk.db.engine import BATCH_LIMIT
from helpdesk.events import EventBus
from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.conversations.intake import IntakeResult
from helpdesk.services.errors import Unavailable

if TYPE_CHECKING:
    from helpdesk.services import Services

log = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 60
STOPPED = "the server's intake process stopped while writing this message; send it again"


class IntakeProcess:
    """The server's side: a queue of messages and one thread that hands them over in batches."""

    def __init__(self, services: "Services", burst: int) -> None:
        self.services = services  # the server's: its settings, database and event bus
        self.settings, self.db, self.bus = services.settings, services.db, services.events
        self.burst = burst
        self.ready = False  # the process is up: intake goes to it
        self.batches = 0  # batches it wrote (tests and benchmarks read it)
        self._starting = False
        self._closed = False
        self._process: Any = None
        self._conn: Any = None
        self._queued: collections.deque = collections.deque()
        self._wake = threading.Condition()

    # ---- the server's side -------------------------------------------------------------

    def offer(self, waiting: int) -> None:
        """Called with the number of intake writes waiting in the server: a burst starts the process."""
        if waiting >= self.burst and not (self.ready or self._starting or self._closed):
            self._starting = True
            threading.Thread(target=self._start, name="intake-process-start", daemon=True).start()

    async def receive(self, incoming: IncomingMessage, actor: Actor, verified: bool) -> tuple[IntakeResult, bool]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        with self._wake:
            self._queued.append(((incoming, actor, verified), loop, future))
            self._wake.notify()
        return await future

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        ours, theirs = context.Pipe()
        process = context.Process(target=serve, args=(self.settings, theirs), name="helpdesk-intake", daemon=True)
        try:
            process.start()
            theirs.close()
            if not ours.poll(START_TIMEOUT_SECONDS) or ours.recv() != "ready":
                raise RuntimeError("it did not say it was ready")
        except Exception as exc:  # the server goes on writing intake itself
            log.warning("the intake process could not start: %s", exc)
            if process.is_alive():
                process.kill()
            self._starting = False
            return
        self._process, self._conn = process, ours
        log.info("intake: a burst of customer messages; a second process writes them (pid %s)", process.pid)
        threading.Thread(target=self._dispatch, name="intake-process", daemon=True).start()
        self.ready, self._starting = True, False

    def _dispatch(self) -> None:
        while True:
            with self._wake:
                while not self._queued and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                jobs = [self._queued.popleft() for _ in range(min(len(self._queued), BATCH_LIMIT))]
            try:
                self._conn.send((self.db.single_commits, [job for job, _loop, _future in jobs]))
                outcomes, published = self._conn.recv()
            except (OSError, EOFError, pickle.PickleError) as exc:
                self._stopped(jobs, exc)
                return
            self.batches += 1
            for ev in published:
                self.bus.publish(ev)
            for (_job, loop, future), (ok, value) in zip(jobs, outcomes):
                loop.call_soon_threadsafe(_settle, future, ok, value)

    def _stopped(self, in_flight: list, exc: BaseException) -> None:
        """The process went away: what it was writing fails, what waits goes back to the server."""
        with self._wake:
            self.ready = False
            waiting, self._queued = list(self._queued), collections.deque()
        if not self._closed:
            log.warning("the intake process stopped (%s); the server writes intake itself again", exc)
        for _job, loop, future in in_flight:
            loop.call_soon_threadsafe(_settle, future, False, Unavailable(STOPPED))
        for job, loop, future in waiting:  # never sent: safe to write here
            loop.call_soon_threadsafe(_write_here, self, job, loop, future)

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify_all()
        if self._conn is not None:
            self._conn.close()  # the process sees its pipe close and exits
        if self._process is not None:
            self._process.join(timeout=10)
            if self._process.is_alive():
                self._process.kill()
        self.ready = False


def _settle(future: asyncio.Future, ok: bool, value: Any) -> None:
    if future.done():  # the client hung up; the write stands
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


def _write_here(intake: IntakeProcess, job: tuple, loop: asyncio.AbstractEventLoop, future: asyncio.Future) -> None:
    """On the server's loop: a message the process never received, written by the server instead."""
    from helpdesk.services.intake_api import receive_from_api

    task = loop.create_task(intake.db.run_write_batched(functools.partial(receive_from_api, intake.services, *job)))
    task.add_done_callback(lambda t: _settle(future, t.exception() is None,
                                             t.exception() if t.exception() else t.result()))


# ---- the process's side ----------------------------------------------------------------

def serve(settings: Settings, conn: Any) -> None:
    """The intake process: group commits of what the server sends, until its pipe closes."""
    from helpdesk.clock import SystemClock
    from helpdesk.services import Services
    from helpdesk.services.intake_api import receive_from_api

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the server's to handle; it closes the pipe
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s intake process: %(message)s")
    db = Database(settings.effective_database_url, EventBus(), settings.sqlite_synchronous)
    services: Services | None = None
    generation = None
    conn.send("ready")
    try:
        while True:
            try:
                server_commits, jobs = conn.recv()
            except EOFError:
                return
            if services is None or server_commits != generation:
                services, generation = Services(db, SystemClock(), settings), server_commits
            writes = [functools.partial(receive_from_api, services, *job) for job in jobs]
            outcomes, published = db.on_writer(db.commit_jobs, writes)
            conn.send(([_portable(outcome) for outcome in outcomes], published))
    except (OSError, EOFError):
        return  # the server is gone
    finally:
        db.dispose()


def _portable(outcome: tuple[bool, Any]) -> tuple[bool, Any]:
    """A failed write's exception as the server can receive it: services' errors travel as they
    are (the API answers them as usual); anything else is logged here and becomes a plain error."""
    ok, value = outcome
    if ok:
        return outcome
    from helpdesk.services.errors import ServiceError

    if isinstance(value, ServiceError):
        return outcome
    log.error("a customer message failed to be written", exc_info=value)
    return False, RuntimeError(f"{type(value).__name__}: {value}")
