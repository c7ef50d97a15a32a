"""`serve` (the server alone: a service, a headless PC) and `demo` (a demo shop's data)."""

from __future__ import annotations

from helpdesk import __version__
from helpdesk.cli.runtime import announce, open_app, print_setup_code, stop_cleanly_on_terminate, take_lock
from helpdesk.config import ConfigError, Settings
from helpdesk.host.netinfo import lan_urls


def serve(settings: Settings, demo: bool = False) -> int:
    import uvicorn

    lock = take_lock(settings)
    app = open_app(settings)
    app.start_jobs()
    if demo:
        fill_demo_if_empty(app)
    where = settings.data_dir if not settings.database_url else settings.database_url
    print(f"Helpdesk {__version__}: data in {where}")
    print(f"  on this computer: http://127.0.0.1:{settings.port}/")
    if settings.host in ("0.0.0.0", "::"):
        for url in lan_urls(settings.port):
            print(f"  on the LAN:       {url}")
    print(f"  intake API docs:  http://127.0.0.1:{settings.port}/api/docs")
    print_setup_code(app, f"http://127.0.0.1:{settings.port}/")
    announcement = announce(settings)
    stop_cleanly_on_terminate()
    try:
        uvicorn.Server(app.uvicorn_config()).run()
    except OSError as exc:
        raise ConfigError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}") from exc
    finally:
        if announcement is not None:
            announcement.stop()
        app.close()
        if lock:
            lock.release()
    return 0


def fill_demo_if_empty(app) -> bool:
    from helpdesk.services.demo import DEMO_AGENTS, DEMO_PASSWORD, fill_demo

    if app.services.agents.count() > 0:
        print("demo: the database already has data; left as it is")
        return False
    summary = fill_demo(app.db, app.settings, app.clock)
    print(f"demo: {summary.customers} customers, {summary.conversations} conversations, "
          f"{summary.messages} messages")
    for email, name, role in DEMO_AGENTS:
        print(f"  sign in as {email} / {DEMO_PASSWORD} ({name}, {role})")
    return True


def demo(settings: Settings) -> int:
    app = open_app(settings)
    try:
        if not fill_demo_if_empty(app):
            return 1
    finally:
        app.close()
    return 0
