"""Composition root: settings → database (migrated) → services → ASGI app → server.

Nothing is built at import time; start() and close() are explicit and idempotent,
so tests build as many isolated apps as they like."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

import uvicorn
from fastapi import FastAPI

from helpdesk.clock import Clock, SystemClock
from helpdesk import __version__
from helpdesk.config import DB_FILENAME, ConfigError, Settings, ensure_data_dir
from helpdesk.db import Database
from helpdesk.db.upgrade import NewerDatabase, Opened, open_database
from helpdesk.server.dispatch import PathDispatcher
from helpdesk.server.hosts import AllowedHosts
from helpdesk.server.public_gate import PublicGate
from helpdesk.events import EventBus
from helpdesk import host
from helpdesk.services.container import Services

log = logging.getLogger(__name__)


class HelpdeskApp:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.bus = EventBus()
        self._db: Database | None = None
        self._services: Services | None = None
        self._jobs: Any = None
        self._runner: Any = None
        self._api: FastAPI | None = None
        self._asgi: PathDispatcher | None = None
        self._outbox_worker: Any = None
        self._automation_worker: Any = None
        self._assist_worker: Any = None
        self._channels: Any = None
        self._leadership: Any = None
        self._event_relay: Any = None
        self.opened: Opened | None = None  # which version used the database before, a backup made first

    # ---- lifecycle ------------------------------------------------------------

    def start(self) -> "HelpdeskApp":
        if self._services is not None:
            return self
        if self.settings.is_sqlite and not self.settings.database_url:
            ensure_data_dir(self.settings.data_dir)
            database = self.settings.data_dir / DB_FILENAME
            if not database.exists():  # SQLite gives its -wal and -shm files the database's mode
                os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        db = Database(self.settings.effective_database_url, self.bus, self.settings.sqlite_synchronous)
        sqlite_file = self.settings.data_dir / DB_FILENAME if not self.settings.database_url else None
        try:
            self.opened = open_database(db.engine, __version__, sqlite_file, self.settings.data_dir / "backups",
                                        self.settings.data_dir / "files")
        except NewerDatabase as exc:
            db.dispose()
            raise ConfigError(str(exc)) from None
        except Exception:
            db.dispose()
            raise
        self._db = db
        self._services = Services(db, self.clock, self.settings, host.facts())
        self._services.jobs.attach(self.job_runner.run, self._next_runs)
        self._services.files.ensure_link_key()
        self._services.automation.offer_ready_made()
        self._services.mail.mailboxes.secrets  # noqa: B018  (the install id, read once before any write needs it)
        if not db.is_sqlite:  # other processes' live events (PostgreSQL LISTEN/NOTIFY)
            from helpdesk.db.pg import EventRelay

            self._event_relay = EventRelay(db.url, self.bus, db.origin).start()
        return self

    def start_jobs(self) -> "HelpdeskApp":
        """Start the scheduled jobs (the server does; tests and one-off commands do not)."""
        from helpdesk.jobs.scheduler import Jobs

        from helpdesk.channels import Channels
        from helpdesk.jobs.assist_worker import AssistWorker
        from helpdesk.jobs.automation_worker import AutomationWorker
        from helpdesk.jobs.outbox_worker import OutboxWorker

        def start() -> None:
            self._jobs = Jobs(self.job_runner, self.db.engine, self.settings.effective_database_url,
                              self.settings.sla_scan_minutes).start()
            self._outbox_worker = OutboxWorker(self.services.outbox, self.bus).start()
            self._automation_worker = AutomationWorker(self.services.automation, self.bus).start()
            self._assist_worker = AssistWorker(self.services, self.bus).start()
            self._channels = Channels(self.services).start()

        if self._jobs is not None or self._leadership is not None:
            return self
        if self.db.is_sqlite:  # one process per SQLite file (the run lock sees to it)
            start()
        else:
            from helpdesk.db.pg import JobsLock
            from helpdesk.jobs.leader import JobsLeadership

            self._leadership = JobsLeadership(JobsLock(self.db.url), start, self._stop_jobs).start()
        return self

    def _stop_jobs(self) -> None:
        if self._jobs is not None:
            self._channels.stop()
            self._outbox_worker.stop()
            self._automation_worker.stop()
            self._assist_worker.stop()
            self._jobs.close()
            self._jobs = None
            self._outbox_worker = None
            self._automation_worker = None
            self._assist_worker = None
            self._channels = None

    @property
    def job_runner(self):
        from helpdesk.jobs.runner import JobRunner

        if self._runner is None:
            self._runner = JobRunner(self.services, self.settings.data_dir)
        return self._runner

    def _next_runs(self) -> dict:
        return self._jobs.next_runs() if self._jobs is not None else {}

    @property
    def channels(self):
        """The running channel workers (email …), or None when jobs were not started here."""
        return self._channels

    @property
    def jobs(self):
        """The running scheduler, or None when jobs were not started."""
        return self._jobs

    def close(self) -> None:
        if self._leadership is not None:
            self._leadership.stop()
            self._leadership = None
        self._stop_jobs()
        if self._event_relay is not None:
            self._event_relay.stop()
            self._event_relay = None
        self._runner = None
        if self._services is not None:
            self._services.files.images.close()  # the image decoder's child process
            self._services.help_counts.close()  # what the help center counted since its last write
        if self._db is not None:
            self._db.dispose()
        self._db = None
        self._services = None
        self._api = None
        self._asgi = None

    def __enter__(self) -> "HelpdeskApp":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- parts ------------------------------------------------------------------

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("HelpdeskApp.start() has not been called")
        return self._services

    @property
    def db(self) -> Database:
        if self._db is None:
            raise RuntimeError("HelpdeskApp.start() has not been called")
        return self._db

    @property
    def api(self) -> FastAPI:
        self.asgi  # noqa: B018  (builds both)
        assert self._api is not None
        return self._api

    @property
    def asgi(self) -> PathDispatcher:
        if self._asgi is None:
            from helpdesk.api import create_api
            from helpdesk.api.intake_route import LeanIntake
            from helpdesk.channels.texts.webhooks import WebhookReceivers
            from helpdesk.server.deferred import DeferredApp
            from helpdesk.services.agents import warm_up_sign_in

            warm_up_sign_in()
            self._api = create_api(self.services, self.settings, WebhookReceivers(self.services))
            ui = DeferredApp(self._build_ui, "ui")  # while the server starts, not before (helpdesk/server/deferred.py)
            self._asgi = PathDispatcher(self._api, ui, self.db,
                                        AllowedHosts(self.settings, self.services.links.public_url),
                                        self.services.auth.desktop_window,
                                        PublicGate(self.services.links.public_url,
                                                   os.environ.get("HELPDESK_AGENTS_FROM_INTERNET") == "1"),
                                        LeanIntake(self._api, self.services))
        return self._asgi

    def _build_ui(self) -> Any:
        from helpdesk.ui.app import build_web_app

        return build_web_app(self.services)

    def uvicorn_config(self, host: str | None = None, port: int | None = None) -> uvicorn.Config:
        from helpdesk.api.protocol import HEAD_BYTES, http_protocol

        trusted = self.settings.trusted_proxies
        return uvicorn.Config(self.asgi, host=host or self.settings.host,
                              port=self.settings.port if port is None else port,
                              log_level="warning", access_log=False, server_header=False,
                              timeout_graceful_shutdown=5, lifespan="off",
                              # Headers: at most 64 KB, within 10 s (api/protocol.py).
                              http=http_protocol(), h11_max_incomplete_event_size=HEAD_BYTES,
                              # Forwarded headers only from proxies the owner named (none by default).
                              proxy_headers=bool(trusted), forwarded_allow_ips=list(trusted) or None)


class ServerThread:
    """Runs the app's uvicorn server in a background thread (tests, benchmarks, desktop)."""

    def __init__(self, app: HelpdeskApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.port = self._socket.getsockname()[1]
        app.services.links.listening_on(self.port)
        self.server = uvicorn.Server(app.uvicorn_config(host, self.port))
        self._thread = threading.Thread(target=self._run, name="helpdesk-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        self.server.run(sockets=[self._socket])

    def start(self, timeout: float = 10.0) -> "ServerThread":
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
