"""Helpers for tests that run Helpdesk as a separate process."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(base_url: str, process: subprocess.Popen, timeout: float = 30.0) -> float:
    """Poll /api/v1/health until it answers; returns the seconds it took. Fails if the process dies."""
    started = time.monotonic()
    while True:
        try:
            httpx.get(base_url + "/api/v1/health", timeout=0.5)
            return time.monotonic() - started
        except httpx.TransportError:
            assert process.poll() is None, "the server process exited"
            assert time.monotonic() - started < timeout, "the server did not start"
            time.sleep(0.05)
