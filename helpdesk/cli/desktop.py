"""`helpdesk` with no command: the desktop window, as a client of the server this process starts,
or of the Helpdesk already serving this data (started at login)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from helpdesk import __version__
from helpdesk.config import ConfigError, Settings
from helpdesk.cli.runtime import announce, open_app, print_setup_code, take_lock
from helpdesk.host.netinfo import lan_urls


def has_display() -> bool:
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True  # Windows and macOS always have a desktop session when a person starts the app


def run(settings: Settings) -> int:
    """Serve the LAN and open the desktop window as a client of that same server."""
    import threading
    import time

    import uvicorn

    from helpdesk.host.notify import breach_notifier

    if has_display() and (attached := _attach_window(settings)) is not None:
        return attached
    lock = take_lock(settings)
    app = open_app(settings)
    app.start_jobs()
    if has_display():
        app.bus.subscribe(breach_notifier(app.services))  # overdue customers pop up on the shop PC
    where = settings.data_dir if not settings.database_url else settings.database_url
    print(f"Helpdesk {__version__}: data in {where}")
    server = uvicorn.Server(app.uvicorn_config())
    thread = threading.Thread(target=server.run, name="helpdesk-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            app.close()
            raise ConfigError(f"cannot listen on {settings.host}:{settings.port} (is Helpdesk already running?)")
        time.sleep(0.05)
    local = f"http://127.0.0.1:{settings.port}"
    if settings.host in ("0.0.0.0", "::"):
        for url in lan_urls(settings.port):
            print(f"  colleagues on the LAN: {url}")
    announcement = None
    try:
        if not has_display():
            announcement = announce(settings)
            print(f"No display found: serving without a window. Open {local}/ in a browser; Ctrl+C stops.")
            print_setup_code(app, local + "/")
            thread.join()
            return 0
        from pathlib import Path

        import flet_desktop

        assets = Path(__file__).resolve().parents[2] / "assets"
        process, pid_file = flet_desktop.open_flet_view(local, str(assets) if assets.is_dir() else None, False)
        app.services.auth.desktop_window.opened(process.pid, pid_file)  # its connection may create the owner account
        announcement = announce(settings)  # after the window is on its way: the person waits for that
        print("The Helpdesk window is open; closing it stops Helpdesk (use `serve` to keep it running).")
        while process.poll() is None and thread.is_alive():
            time.sleep(0.3)
        flet_desktop.close_flet_view(pid_file)
    except KeyboardInterrupt:  # Ctrl+C in the terminal: stop as when the window closes
        print("Stopping Helpdesk…")
    finally:
        if announcement is not None:
            announcement.stop()
        server.should_exit = True
        thread.join(timeout=10)
        app.close()
        if lock:
            lock.release()
    return 0


def _attach_window(settings: Settings) -> int | None:
    """Helpdesk already serves this data (started at login, `helpdesk service install`): open
    the window on that server instead of starting a second one. None: nothing to attach to."""
    import time

    import httpx

    from helpdesk.host.runlock import RunLock

    lock = RunLock(settings.data_dir)
    if settings.database_url or not lock.held_elsewhere():
        return None
    port = lock.holder_port()
    local = f"http://127.0.0.1:{port}"
    healthy = False
    deadline = time.monotonic() + 30  # at login the window may come up while the server still starts
    while port is not None and not healthy and time.monotonic() < deadline:
        try:
            healthy = httpx.get(local + "/api/v1/health", timeout=5).status_code == 200
        except httpx.HTTPError:
            time.sleep(0.5)
    if not healthy:
        raise ConfigError(f"Helpdesk is already running with the data in {settings.data_dir}, "
                          "but does not answer on this computer; stop it, then start again")
    import flet_desktop

    print(f"Helpdesk is already running ({local}/): opening its window. Closing the window leaves it running.")
    assets = Path(__file__).resolve().parents[2] / "assets"
    process, pid_file = flet_desktop.open_flet_view(local, str(assets) if assets.is_dir() else None, False)
    import contextlib

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C closes the window; the server goes on
        process.wait()
    flet_desktop.close_flet_view(pid_file)
    return 0
