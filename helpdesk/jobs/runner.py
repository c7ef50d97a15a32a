"""What each scheduled job does, and the record of its last run.

APScheduler stores jobs in the app's own database by reference ("module:function" plus
arguments), so the stored job names a job id and the app's registry key; the running
app registers its services under that key when its scheduler starts."""

from __future__ import annotations

import logging
import threading
import traceback
from pathlib import Path
from typing import Callable

from helpdesk.db import backup as backups
from helpdesk.services.container import Services
from helpdesk.services.jobs import BACKUPS_KEPT

log = logging.getLogger(__name__)
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
            "bot_handoff": self._bot_handoff,
            "collect_files": self._collect_files,
            "automation": self._automation,
            "update_check": self._update_check,
            "report_rollups": self._report_rollups,
            "privacy": self._privacy,
            "payments": self._payments,
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

    def _record(self, job_id: str, **fields) -> None:
        self.services.jobs.record(job_id, **fields)

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
        made = backups.backup(database, folder, self.data_dir / backups.FILES)
        removed = backups.rotate(folder, BACKUPS_KEPT)
        return f"{made.name}, {made.stat().st_size // 1024} KiB" + (f"; removed {len(removed)} old" if removed else "")

    def _bot_handoff(self) -> str:
        handed = self.services.conversations.hand_over_silent()
        return f"{len(handed)} handed over"

    def _automation(self) -> str:
        due = self.services.automation.scan()
        handled = self.services.automation.process_all()
        return f"{due} new wait{'s' if due != 1 else ''}, {handled} event{'s' if handled != 1 else ''} handled"

    def _report_rollups(self) -> str:
        computed = self.services.reports.refresh_rollups()
        return f"{computed} day{'s' if computed != 1 else ''} computed"

    def _update_check(self) -> str:
        check = self.services.release.check_for_update()
        if not check.enabled:
            return "off"
        if check.error:
            raise RuntimeError(check.error)
        return f"newest is {check.latest}" + (": an update is available" if check.newer else ": up to date")

    def _payments(self) -> str:
        expired = self.services.payments.expire_due()
        return f"{expired} payment request{'s' if expired != 1 else ''} expired"

    def _privacy(self) -> str:
        services = self.services
        spam = services.privacy.erase_old_spam(services.conversations.spam_older_than())
        old = services.privacy.apply_retention()
        audit = services.auditlog.purge()
        return f"{spam} spam and {old} old conversation{'s' if old != 1 else ''} erased, {audit} audit entries removed"

    def _collect_files(self) -> str:
        return f"{self.services.files.collect_garbage()} removed"

    def _purge_sessions(self) -> str:
        sessions = self.services.auth.purge_expired()
        events = self.services.automation.forget_handled()  # what rules reacted to, once it is old news
        return f"{sessions} removed" + (f"; {events} old automation events dropped" if events else "")
