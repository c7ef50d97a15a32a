"""Scheduled jobs as the rest of Helpdesk sees them: what each does (in words for people),
the record of each job's last run, and asking for a run now. The scheduler itself lives
in jobs/ and attaches its runner here when the app starts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlmodel import select

from helpdesk.events import JOB_FINISHED
from helpdesk.models import JobStatus
from helpdesk.services.base import Actor, Service, audit, require_admin, writes
from helpdesk.services.errors import Conflict, NotFound
from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database

BACKUPS_KEPT = 7


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
    JobSpec("bot_handoff", "Hand conversations to people when a bot leaves a customer waiting", "every 30 seconds"),
    JobSpec("automation", "Automation rules that wait (follow-ups, waits, targets at risk)", "every minute"),
    JobSpec("collect_files", "Remove uploaded files no message uses", "daily at 03:15"),
    JobSpec("privacy", "Erase spam after 30 days, conversations past the retention limit (Settings › Data), "
                       "audit entries after two years", "daily at 04:00"),
    JobSpec("payments", "Expire payment requests left unpaid past their days (Settings › Payments)", "every 15 minutes"),
    JobSpec("report_rollups", "Keep Reports' daily figures up to date (the last two years)", "every 2 minutes"),
    JobSpec("update_check", "Ask for a newer version (only when turned on in Settings › This computer)",
            "daily at 11:40"),
]


class JobsService(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        super().__init__(db, clock, settings)
        self._run: Callable[[str], str] | None = None
        self._next_runs: Callable[[], dict[str, datetime | None]] = dict

    def attach(self, run: Callable[[str], str], next_runs: Callable[[], dict[str, datetime | None]]) -> None:
        """The jobs layer says how to run a job and when each runs next (the scheduler)."""
        self._run, self._next_runs = run, next_runs

    def statuses(self) -> dict[str, JobStatus]:
        with self.db.read() as s:
            return {j.job_id: j for j in s.exec(select(JobStatus)).all()}

    def next_runs(self) -> dict[str, datetime | None]:
        """When each job runs next in this process ({} when the scheduler runs elsewhere)."""
        return self._next_runs()

    def run_now(self, job_id: str, actor: Actor) -> str:
        """Run a job at once (an admin's "Run now"); returns its result in words."""
        require_admin(actor, "run jobs by hand")
        if job_id not in {j.id for j in JOBS}:
            raise NotFound(f"no job called {job_id}")
        if self._run is None:
            raise Conflict("jobs are not running in this Helpdesk process")
        self._audit_run(job_id, actor)
        return self._run(job_id)

    @writes
    def _audit_run(self, job_id: str, actor: Actor) -> None:
        with self.db.write() as tx:
            audit(tx.session, self.now(), actor, "job.run_by_hand", job=job_id)

    @writes
    def record(self, job_id: str, started: datetime | None = None, finished: datetime | None = None,
               result: str | None = None, error: str | None = None) -> None:
        with self.db.write() as tx:
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
