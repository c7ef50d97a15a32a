"""What the internet may reach. Once the shop has a public address (a reverse proxy or a
tunnel in front of Helpdesk), requests that arrive through it, or from an address outside
the LAN, get only what customers and the far ends of channels need: their conversation
page and its signed files, the intake API, the chat and widget, channel webhooks, the
health check. The agent UI, the agents' and bots' API, reports and API docs answer 404
there, as if they did not exist (docs/public-address.md).

A public address is recognised by its host name, which the proxy passes on; a tunnel on the
shop PC itself connects from loopback, so the peer address alone cannot tell. A public
address without a dot (`http://shop-pc:8080`) is a LAN name, not a gate. The owner who
really wants agents to work from the internet sets HELPDESK_AGENTS_FROM_INTERNET=1."""

from __future__ import annotations

import ipaddress
from typing import Callable

from helpdesk.server.hosts import normal_host, url_host

CUSTOMER_PREFIXES = ("/c/", "/files/", "/chat", "/widget", "/api/v1/channels/", "/help/")
CUSTOMER_PATHS = ("/api/v1/messages", "/api/v1/health", "/robots.txt", "/api/v1/payments/stripe", "/help")


def is_customer_path(path: str) -> bool:
    return path in CUSTOMER_PATHS or path.startswith(CUSTOMER_PREFIXES)


def _lan_name(host: str) -> bool:
    if "." not in host or host.endswith((".local", ".lan", ".home", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


def _from_outside(client: str | None) -> bool:
    try:
        address = ipaddress.ip_address(client or "")
    except ValueError:
        return False  # a unix socket, a test client: this machine
    return address.is_global


class PublicGate:
    def __init__(self, public_url: Callable[[], str | None], env_allows_agents: bool = False) -> None:
        self.public_url = public_url  # read per request: an admin may set it in Settings at any time
        self.env_allows_agents = env_allows_agents

    @property
    def public_host(self) -> str:
        host = url_host(self.public_url())
        return host if host and not _lan_name(host) else ""

    @property
    def on(self) -> bool:
        return bool(self.public_host) and not self.env_allows_agents

    def refuses(self, path: str, host_header: str | None, client: str | None) -> bool:
        """True when this request came from the internet for something only the shop may see."""
        if is_customer_path(path):
            return False
        public_host = self.public_host
        if not public_host or self.env_allows_agents:
            return False
        through_public = host_header is not None and normal_host(host_header) in (public_host, "")
        return through_public or _from_outside(client)
