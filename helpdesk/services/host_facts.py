"""What services may know of the computer they run on, as small interfaces: the desktop window
this process opened, this machine's LAN addresses, and starting at login. `helpdesk/host/`
implements them and the composition root (`app.py`) hands them to `Services`; a service never
imports `host/` itself, so the rules stay testable without a desktop."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence


@dataclass(frozen=True)
class AutostartStatus:
    installed: bool
    running: bool | None  # None: the OS could not be asked
    where: Path
    detail: str

    def describe(self) -> str:
        if not self.installed:
            return f"not installed (would be {self.where})"
        state = {True: "running now", False: "not running now", None: "state unknown"}[self.running]
        return f"installed: starts at login ({self.where}); {state}. {self.detail}".strip()


class AutostartError(Exception):
    """The OS refused the registration; the message says what it said."""


class Autostart(Protocol):
    """This OS's registration of `helpdesk serve` at login, for one data directory."""

    def install(self, command: Sequence[str], start_now: bool = False) -> str: ...

    def uninstall(self) -> bool: ...

    def status(self) -> AutostartStatus: ...


class DesktopWindow(Protocol):
    """The desktop window this process opened: it alone may create the owner account without
    the setup code, and the sign-in counts it apart from every other client."""

    def opened(self, pid: int, pid_file: str | Path | None = None) -> None: ...

    def owns(self, client_port: int) -> bool: ...

    def recognises(self, user_agent: str | None) -> bool: ...


@dataclass
class HostFacts:
    window: DesktopWindow
    lan_urls: Callable[[int], list[str]]  # this machine's LAN addresses for a port (no traffic)
    autostart: Callable[[Path], Autostart]  # raises AutostartError on an OS it does not support
    serve_command: Callable[..., list[str]]  # what the OS runs at login: (data_dir, database_url=…)
