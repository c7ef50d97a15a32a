"""APScheduler inside the server process, with its job store in the app's own database.

- Trigger instances, not string aliases (the aliases are looked up through package entry
  points a frozen executable may lack: APScheduler #131, #556).
- coalesce=True and no misfire limit: a PC that slept or was off runs each late job once
  at start instead of dropping it (the default grace is 1 s) or running it many times.
- max_instances=1: a job never runs twice at once.
- replace_existing=True: restarting never duplicates a stored job.
"""

from __future__ import annotations

import logging
from datetime import datetime

import tzlocal
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from helpdesk.jobs import runner as job_runner
from helpdesk.jobs.runner import JobRunner
from helpdesk.services.jobs import JOBS

log = logging.getLogger(__name__)
JOB_TABLE = "apscheduler_jobs"


def triggers(sla_scan_minutes: int = 1) -> dict:
    return {
        "sla_scan": IntervalTrigger(minutes=sla_scan_minutes),
        "wake_snoozed": IntervalTrigger(minutes=1),
        "auto_resolve": IntervalTrigger(hours=1),
        "nightly_backup": CronTrigger(hour=2, minute=30),
        "purge_sessions": IntervalTrigger(hours=6),
        "bot_handoff": IntervalTrigger(seconds=30),
        "collect_files": CronTrigger(hour=3, minute=15),
        "automation": IntervalTrigger(minutes=1),
        "update_check": CronTrigger(hour=11, minute=40),
        "report_rollups": IntervalTrigger(minutes=2),
        "privacy": CronTrigger(hour=4, minute=0),
        "payments": IntervalTrigger(minutes=15),
    }


class Jobs:
    """The app's scheduler: start() registers and schedules the jobs; close() stops them."""

    def __init__(self, runner: JobRunner, engine, key: str, sla_scan_minutes: int = 1) -> None:
        self.runner = runner
        self.key = key
        self.sla_scan_minutes = sla_scan_minutes
        try:
            zone = tzlocal.get_localzone()
        except Exception:
            zone = None
        self.scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE)},
            executors={"default": ThreadPoolExecutor(max_workers=2)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=zone,
        )

    def start(self) -> "Jobs":
        job_runner.register(self.key, self.runner)
        for spec in JOBS:
            self.scheduler.add_job(job_runner.run_job, trigger=triggers(self.sla_scan_minutes)[spec.id],
                                   args=[spec.id, self.key], id=spec.id, name=spec.name, replace_existing=True)
        self.scheduler.start()
        log.info("scheduler started with %d jobs", len(self.scheduler.get_jobs()))
        return self

    def next_runs(self) -> dict[str, datetime | None]:
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs()}

    def close(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        job_runner.unregister(self.key)
