"""What the phone's and Twilio's webhook requests become: the composition root hands this
to the API (which imports no channel), so the routes stay a few lines each. Each request
opens its channel's worker (signature first), and the far end's trouble becomes a 503 the
sender retries."""

from __future__ import annotations

from typing import Any, Callable, Mapping

from helpdesk.channels.texts.base import ChannelDown
from helpdesk.services.errors import NotFound, Unavailable
from helpdesk.services.mail.secrets import SecretMissing


class WebhookReceivers:
    def __init__(self, services: Any) -> None:
        self.services = services

    def _with(self, kind: str, name: str, call: Callable[[Any], str]) -> str:
        from helpdesk.channels.texts import open_channel

        try:
            channel = self.services.messaging.channels.by_name(name)
        except NotFound:
            channel = None
        if channel is None or channel.kind != kind or not channel.active:
            raise NotFound(f"there is no active {kind} channel called {name}")
        try:
            worker = open_channel(self.services, channel)
        except SecretMissing as exc:
            raise Unavailable(str(exc)) from None
        try:
            return call(worker)
        except ChannelDown as exc:
            raise Unavailable(str(exc)) from None
        finally:
            worker.close()

    def has_channel(self, kind: str, name: str) -> bool:
        try:
            channel = self.services.messaging.channels.by_name(name)
        except NotFound:
            return False
        return channel.kind == kind and channel.active

    def sms_gateway(self, name: str, body: bytes, headers: Mapping[str, str], local: bool = True) -> str:
        return self._with("sms-gateway", name, lambda w: w.receive(body, headers, local))

    def twilio(self, name: str, fields: list[tuple[str, str]], signature: str, status_callback: bool,
               query: str) -> str:
        return self._with("twilio", name, lambda w: w.receive(fields, signature, status_callback, query))
