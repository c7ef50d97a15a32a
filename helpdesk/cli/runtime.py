"""What the commands share: opening the app on the data folder (and turning a refusal from the
services, a bad field, a missing name, a password that is gone, into one line for the person at
the terminal), the run lock, the LAN announcement, a clean stop on SIGTERM and the setup code."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator

from helpdesk.config import ConfigError, Settings, ensure_data_dir


@contextmanager
def command_app(settings: Settings, open_app: Callable[[Settings], Any]) -> Iterator[Any]:
    from helpdesk.services.errors import ServiceError
    from helpdesk.services.mail.secrets import SecretMissing

    app = open_app(settings)
    try:
        yield app
    except ServiceError as exc:
        details = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
        raise ConfigError(f"{exc.message}{' (' + details + ')' if details else ''}") from None
    except SecretMissing as exc:
        raise ConfigError(str(exc)) from None
    finally:
        app.close()


def open_app(settings: Settings):
    from helpdesk.app import HelpdeskApp

    try:
        return HelpdeskApp(settings).start()
    except ConfigError:
        raise
    except Exception as exc:  # a database that cannot be opened or migrated
        raise ConfigError(f"cannot open the database at {settings.effective_database_url}: {exc}") from exc


def take_lock(settings: Settings):
    """One server per data directory (jobs and backups assume it)."""
    from helpdesk.host.runlock import AlreadyRunning, RunLock

    if settings.database_url:  # shared by design: no lock, but where this one serves is noted
        RunLock(ensure_data_dir(settings.data_dir)).note(settings.port)
        return None
    try:
        return RunLock(ensure_data_dir(settings.data_dir)).acquire(settings.port)
    except AlreadyRunning as exc:
        raise ConfigError(str(exc)) from None


def announce(settings: Settings):
    """helpdesk.local on the LAN by mDNS, when Helpdesk listens there."""
    from helpdesk.host.lan_announce import LanAnnouncement, wanted

    if not wanted(settings):
        return None
    print(f"  also by name:     http://helpdesk.local:{settings.port}/ (not on every Android phone)")
    return LanAnnouncement(settings.port).start()


def stop_cleanly_on_terminate() -> None:
    """uvicorn stops gracefully on SIGTERM (a service manager, `kill`; Ctrl+Break on Windows) and
    then raises the signal again for the handler that was there before it. With Python's default
    one that kills the process before the jobs, the database and the run lock are closed; with
    this one (which also covers a signal before uvicorn listens) the `finally` below runs, and
    Helpdesk exits 0: stopped as asked."""
    import signal

    def stop(*_: object) -> None:
        raise SystemExit(0)

    for name in ("SIGTERM", "SIGBREAK"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)


def print_setup_code(app, url: str) -> None:
    """First run, as Jupyter does: whoever started Helpdesk gets the code that creates the owner."""
    code = app.services.auth.setup_code()
    if code:
        print(f"  first run: open {url} and create the owner account with the setup code {code}")
        print(f"  (the code is also in {app.settings.data_dir / 'setup-code.txt'}, readable only by you)")
