"""Every link Helpdesk writes (customer pages, and later attachments, mail and the chat
widget) starts from one base address: the configured public address when the shop has
one, else this machine's LAN address. Never the Host header of a request, which whoever
sends the request controls."""

from __future__ import annotations

from typing import Callable

from helpdesk.config import Settings


def conversation_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/c/{token}"


class Links:
    def __init__(self, settings: Settings, lan_urls: Callable[[int], list[str]] = lambda port: []) -> None:
        self.settings = settings
        self._lan_urls = lan_urls  # this machine's addresses (helpdesk/host/netinfo.py, from the composition root)
        self._saved: str | None = None  # the address an admin set in Settings (the environment wins)
        self.port = settings.port  # the port actually listened on, once the server has bound it
        self._lan: str | None = None

    def listening_on(self, port: int) -> None:
        self.port = port
        self._lan = None

    def _lan_base(self) -> str:
        if self._lan is None:  # asks the OS once (no traffic), not on every link
            urls = self._lan_urls(self.port) if self.settings.host in ("0.0.0.0", "::") else []
            host = self.settings.host if self.settings.host not in ("0.0.0.0", "::") else "127.0.0.1"
            self._lan = urls[0].rstrip("/") if urls else f"http://{host}:{self.port}"
        return self._lan

    def lan_url(self) -> str:
        """This machine's LAN address, for devices in the shop (the SMS phone's webhooks)."""
        return self._lan_base().rstrip("/")

    def public_url(self) -> str | None:
        """The address customers use, when the shop has one: HELPDESK_PUBLIC_URL, else Settings."""
        return (self.settings.public_url or self._saved or "").rstrip("/") or None

    def use_saved(self, url: str | None) -> None:
        self._saved = url

    def base_url(self) -> str:
        return (self.public_url() or self._lan_base()).rstrip("/")

    def conversation(self, token: str) -> str:
        return conversation_link(self.base_url(), token)
