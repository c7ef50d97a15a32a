"""The demo shop in a window of its own, offered on a new installation's first screen: a second
Helpdesk on a data folder of its own (`demo` inside the data folder), listening on this computer
only (its accounts have a published password), stopped when its window closes. The shop's own
database is not touched, so the owner can look around first and then start for real."""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from pathlib import Path

import httpx

from helpdesk.host.autostart import serve_command

log = logging.getLogger(__name__)
START_TIMEOUT_SECONDS = 90  # the first start fills two weeks of a shop's history


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_demo_server(data_dir: Path) -> tuple[subprocess.Popen, str]:
    """Start `serve --demo` on loopback and wait until it answers; returns it and its address."""
    port = _free_port()
    command = serve_command(Path(data_dir) / "demo", host="127.0.0.1", port=port) + ["--demo"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(url + "/api/v1/health", timeout=2).status_code == 200:
                return server, url
        except httpx.HTTPError:
            time.sleep(0.3)
    server.terminate()
    raise RuntimeError("the demo shop did not start")


def run_demo_window(data_dir: Path, assets: Path | None) -> None:
    """Blocking: the demo's server and its window, until the window is closed."""
    import flet_desktop

    server, url = start_demo_server(data_dir)
    try:
        window, pid_file = flet_desktop.open_flet_view(url, str(assets) if assets and assets.is_dir() else None, False)
        window.wait()
        flet_desktop.close_flet_view(pid_file)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.info("the demo shop's window was closed; its Helpdesk stopped")
