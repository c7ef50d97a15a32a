"""Which names the agent UI answers to, and which web pages may open its websocket.

A page on any site, open in a browser on the shop PC, could otherwise connect to
ws://127.0.0.1:8080/ws as a loopback client, or reach it through a name it controls that
resolves to this machine (DNS rebinding). The UI therefore answers only requests whose
Host is one of this machine's own names and addresses (and the configured public one),
and its websocket only pages served from those origins. Clients that send no Origin at all
are not browsers (the desktop window is one)."""

from __future__ import annotations

import socket
from typing import Callable
from urllib.parse import urlparse

from helpdesk.config import Settings
from helpdesk.netinfo import lan_addresses

LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def host_name(value: str) -> str:
    """'Shop-PC:8080' -> 'shop-pc', '[::1]:80' -> '::1'."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class AllowedHosts:
    def __init__(self, settings: Settings, public_url: Callable[[], str | None] | None = None) -> None:
        self.settings = settings
        self.public_url = public_url  # the address set in Settings, which may change while running
        self._names: set[str] | None = None

    def names(self) -> set[str]:
        if self._names is None:  # asks the OS once; sends no traffic
            names = set(LOOPBACK) | {"helpdesk.local"} | set(lan_addresses())
            machine = socket.gethostname().lower()
            names |= {machine, f"{machine}.local", machine.split(".")[0]}
            if self.settings.public_url:
                names.add((urlparse(self.settings.public_url).hostname or "").lower())
            names |= {h.lower() for h in self.settings.allowed_hosts}
            if self.settings.host not in ("0.0.0.0", "::"):
                names.add(self.settings.host.lower())
            self._names = {n for n in names if n}
        return self._names

    def _public_host(self) -> str:
        url = self.public_url() if self.public_url else None
        return (urlparse(url).hostname or "").lower() if url else ""

    def allows_host(self, host_header: str | None) -> bool:
        return host_header is None or host_name(host_header) in self.names() or \
            (bool(self._public_host()) and host_name(host_header) == self._public_host())

    def allows_origin(self, origin: str | None) -> bool:
        if origin is None:
            return True  # not a browser: browsers always send Origin with a websocket
        parsed = urlparse(origin)
        host = (parsed.hostname or "").lower()
        return parsed.scheme in ("http", "https") and (host in self.names() or (bool(host) and host == self._public_host()))
