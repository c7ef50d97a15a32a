"""What each scheduled job does, and the record of its last run.

APScheduler stores jobs in the app's own database by reference ("module:function" plus
arguments), so the stored job names a job id and the app's registry key; the running
app registers its services under that key when its scheduler starts."""

from __future__ import annotations

import logging
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from helpdesk.db import backup as backups
from sqlmodel import select

from helpdesk.models import JobStatus
from helpdesk.services import Services

log = logging.getLogger(__name__)
BACKUPS_KEPT = 7
JOB_FINISHED = "job.finished"


@dataclass(frozen=True)
class JobSpec:
    id: str
    name: str
    every: str  # for people: "every minute", "nightly at 02:30"


JOBS = [
    JobSpec("sla_scan", "Response-time check", "every minute"),
    JobSpec("wake_snoozed", "Wake snoozed conversations", "every minute"),
    JobSpec("auto_resolve", "Resolve conversations left pending on the customer", "every hour"),
    JobSpec("nightly_backup", f"Back up the database (keeps the last {BACKUPS_KEPT})", "nightly at 02:30"),
    JobSpec("purge_sessions", "Remove expired sign-ins", "every 6 hours"),
]

_registry: dict[str, "JobRunner"] = {}
_registry_lock = threading.Lock()


def register(key: str, runner: "JobRunner") -> None:
    with _registry_lock:
        _registry[key] = runner


def unregister(key: str) -> None:
    with _registry_lock:
        _registry.pop(key, None)


def run_job(job_id: str, key: str) -> None:
    """The function APScheduler calls (by reference, so it survives restarts)."""
    with _registry_lock:
        runner = _registry.get(key)
    if runner is None:
        log.warning("job %s fired for an app that is not running here (%s)", job_id, key)
        return
    runner.run(job_id)


class JobRunner:
    def __init__(self, services: Services, data_dir: Path) -> None:
        self.services = services
        self.data_dir = data_dir
        self._tasks: dict[str, Callable[[], str]] = {
            "sla_scan": self._sla_scan,
            "wake_snoozed": self._wake_snoozed,
            "auto_resolve": self._auto_resolve,
            "nightly_backup": self._backup,
            "purge_sessions": self._purge_sessions,
        }
        self._running: set[str] = set()
        self._lock = threading.Lock()

    def run(self, job_id: str) -> str:
        """Run one job now, recording start, result or error. The same job never runs twice at once."""
        with self._lock:
            if job_id in self._running:
                return "already running"
            self._running.add(job_id)
        clock = self.services.clock
        try:
            self._record(job_id, started=clock.now())
            try:
                result = self._tasks[job_id]()
            except Exception as exc:
                log.exception("job %s failed", job_id)
                self._record(job_id, finished=clock.now(), result="failed",
                             error=f"{exc.__class__.__name__}: {exc}\n{traceback.format_exc(limit=3)}"[:2000])
                return "failed"
            self._record(job_id, finished=clock.now(), result=result, error="")
            return result
        finally:
            with self._lock:
                self._running.discard(job_id)

    def _record(self, job_id: str, started=None, finished=None, result=None, error=None) -> None:  # type: ignore[no-untyped-def]
        self.services.db.on_writer(self._record_on_writer, job_id, started, finished, result, error)

    def _record_on_writer(self, job_id: str, started, finished, result, error) -> None:  # type: ignore[no-untyped-def]
        with self.services.db.write() as tx:
            status = tx.session.get(JobStatus, job_id) or JobStatus(job_id=job_id)
            if started is not None:
                status.last_started_at = started
            if finished is not None:
                status.last_finished_at = finished
            if result is not None:
                status.last_result = result[:500]
            if error is not None:
                status.last_error = error
            tx.session.add(status)
            if finished is not None:
                tx.emit(JOB_FINISHED, None, job_id=job_id, result=result)

    def statuses(self) -> dict[str, JobStatus]:
        with self.services.db.read() as s:
            return {j.job_id: j for j in s.exec(select(JobStatus)).all()}

    # ---- the jobs ----------------------------------------------------------------------

    def _sla_scan(self) -> str:
        found = self.services.sla.scan()
        return f"{len(found)} new breach{'es' if len(found) != 1 else ''}"

    def _wake_snoozed(self) -> str:
        woken = self.services.conversations.wake_snoozed()
        return f"{len(woken)} woken"

    def _auto_resolve(self) -> str:
        resolved = self.services.conversations.auto_resolve(self.services.settings.auto_resolve_days)
        return f"{len(resolved)} resolved"

    def _backup(self) -> str:
        if not self.services.settings.is_sqlite:
            return "skipped: a PostgreSQL database is backed up with pg_dump (see the README)"
        database = backups.sqlite_path(self.services.settings.effective_database_url)
        folder = self.data_dir / "backups"
        folder.mkdir(parents=True, exist_ok=True)
        made = backups.backup(database, folder)
        removed = backups.rotate(folder, BACKUPS_KEPT)
        return f"{made.name}, {made.stat().st_size // 1024} KiB" + (f"; removed {len(removed)} old" if removed else "")

    def _purge_sessions(self) -> str:
        return f"{self.services.auth.purge_expired()} removed"
