"""Knowing the desktop window from any other client on this machine.

The window is a Flet client process this process starts; it connects to the same server
as browsers do, from loopback. While no owner account exists, the window may create it
without the setup code, because whoever sees the window sits at the machine. A connection
is the window's only when the operating system says the socket's other end belongs to
the window's process (psutil): a web page or another user's program on the same PC
cannot pretend to be it. Such a connection is marked for the UI with a secret in its
user agent, which only this process knows."""

from __future__ import annotations

import contextlib
import logging
import secrets
from pathlib import Path

log = logging.getLogger(__name__)


class DesktopWindow:
    def __init__(self) -> None:
        self.pid: int | None = None
        self.pid_file: Path | None = None
        self.marker = f"helpdesk-window/{secrets.token_urlsafe(18)}"

    def opened(self, pid: int, pid_file: str | Path | None = None) -> None:
        """The launcher's process, and the file the client writes its own pid to (on macOS the
        launcher is `open`, which hands the app to launchd)."""
        self.pid = pid
        self.pid_file = Path(pid_file) if pid_file else None

    def _pids(self) -> set[int]:
        pids = {self.pid} if self.pid else set()
        with contextlib.suppress(OSError, ValueError):  # no pid file (yet): the process we started is enough
            if self.pid_file is not None:
                pids.add(int(self.pid_file.read_text().strip()))
        return pids

    def owns(self, client_port: int) -> bool:
        """True when the local TCP port `client_port` is a socket of the window's process tree."""
        import psutil

        for pid in self._pids():
            try:
                window = psutil.Process(pid)
                for process in [window, *window.children(recursive=True)]:
                    if any(c.laddr and c.laddr.port == client_port for c in process.net_connections(kind="tcp")):
                        return True
            except (psutil.Error, OSError):
                log.debug("could not ask the OS about the window's sockets", exc_info=True)
        return False

    def recognises(self, user_agent: str | None) -> bool:
        return user_agent is not None and self.marker in user_agent
