"""On PostgreSQL several server processes may share the database; the scheduled jobs and
the outbox worker must run in exactly one of them. The process holding the jobs advisory
lock runs them; the others try again every few seconds and take over when the holder
stops or dies (PostgreSQL drops a dead session's lock)."""

from __future__ import annotations

import logging
import threading
from typing import Callable

from helpdesk.db.pg import JobsLock

log = logging.getLogger(__name__)


class JobsLeadership:
    def __init__(self, lock: JobsLock, start: Callable[[], None], stop: Callable[[], None],
                 interval: float = 5.0) -> None:
        self._lock = lock
        self._start_jobs = start
        self._stop_jobs = stop
        self._interval = interval
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._run, name="helpdesk-jobs-leader", daemon=True)
        self.leading = False

    def start(self) -> "JobsLeadership":
        self._check()  # decide at once, so a lone process runs its jobs from the start
        self._thread.start()
        return self

    def _check(self) -> None:
        try:
            if self.leading and not self._lock.still_held():
                log.warning("lost the jobs lock; another process will run the jobs")
                self.leading = False
                self._stop_jobs()
            elif not self.leading and self._lock.try_acquire():
                log.info("this process runs the scheduled jobs")
                self.leading = True
                self._start_jobs()
        except Exception:
            log.warning("could not check the jobs lock", exc_info=True)

    def _run(self) -> None:
        while not self._halt.wait(self._interval):
            self._check()

    def stop(self) -> None:
        self._halt.set()
        self._thread.join(timeout=10)
        if self.leading:
            self._stop_jobs()
            self.leading = False
        self._lock.release()
