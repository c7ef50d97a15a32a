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
from helpdesk.host.netinfo import lan_addresses

LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def normal_host(value: str | None) -> str:
    """The one form a host is compared in, wherever it is: lower case, no port, no trailing
    dot, international names in their IDNA form. 'Shop.Example.:8080' -> 'shop.example',
    'bücher.example' -> 'xn--bcher-kva.example', '[::1]:80' -> '::1'; '' for what is no host."""
    value = (value or "").strip()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end].lower() if end > 0 else ""
    if value.count(":") > 1:  # a bare IPv6 address
        return value.lower()
    value = value.rsplit(":", 1)[0] if ":" in value else value
    value = value.rstrip(".").lower()
    if value.isascii():
        return value
    try:
        return value.encode("idna").decode("ascii")
    except UnicodeError:
        return ""


def url_host(url: str | None) -> str:
    """The normalised host of an address like https://help.myshop.com ("" without one)."""
    return normal_host(urlparse(url).netloc.rpartition("@")[2]) if url else ""


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
                names.add(url_host(self.settings.public_url))
            names |= {normal_host(h) for h in self.settings.allowed_hosts}
            if self.settings.host not in ("0.0.0.0", "::"):
                names.add(normal_host(self.settings.host))
            self._names = {normal_host(n) for n in names if n} - {""}
        return self._names

    def _public_host(self) -> str:
        return url_host(self.public_url()) if self.public_url else ""

    def allows_host(self, host_header: str | None) -> bool:
        if host_header is None:
            return True
        host = normal_host(host_header)
        return bool(host) and (host in self.names() or host == self._public_host())

    def allows_origin(self, origin: str | None) -> bool:
        if origin is None:
            return True  # not a browser: browsers always send Origin with a websocket
        parsed = urlparse(origin)
        host = url_host(origin)
        return parsed.scheme in ("http", "https") and bool(host) and (host in self.names() or host == self._public_host())
