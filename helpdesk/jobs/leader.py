"""On PostgreSQL several server processes may share the database; the scheduled jobs and
the outbox worker must run in exactly one of them. The process holding the jobs advisory
lock runs them; the others try again every few seconds and take over when the holder
stops or dies (PostgreSQL drops a dead session's lock)."""

from __future__ import annotations

import logging
from typing import Callable

from helpdesk.db.pg import JobsLock
from helpdesk.events import WakeableLoop

log = logging.getLogger(__name__)


class JobsLeadership(WakeableLoop):
    name = "helpdesk-jobs-leader"
    doing = "checking the jobs lock"

    def __init__(self, lock: JobsLock, start: Callable[[], None], stop: Callable[[], None],
                 interval: float = 5.0) -> None:
        super().__init__(None, set(), interval)
        self._lock = lock
        self._start_jobs = start
        self._stop_jobs = stop
        self.leading = False

    def start(self) -> "JobsLeadership":
        self._check()  # decide at once, so a lone process runs its jobs from the start
        super().start()  # its first pass looks again at once (one cheap query), then every interval
        return self

    def one_pass(self) -> bool:
        self._check()
        return False

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

    def stop(self, wait: float = 10.0) -> None:
        super().stop(wait)
        if self.leading:
            self._stop_jobs()
            self.leading = False
        self._lock.release()
