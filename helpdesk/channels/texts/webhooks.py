"""What a channel's webhook request becomes: the composition root hands this to the API
(which imports no channel). Each request opens its channel's worker, whose `receive` checks
the signature first; the far end's trouble becomes a 503 the sender retries."""

from __future__ import annotations

from typing import Any, Callable

from helpdesk.channels.texts.base import ChannelDown
from helpdesk.services.channel_kinds import HookAnswer, HookRequest
from helpdesk.services.errors import NotFound, Unavailable
from helpdesk.services.mail.secrets import SecretMissing


class WebhookReceivers:
    def __init__(self, services: Any) -> None:
        self.services = services

    def _with(self, kind: str, name: str, call: Callable[[Any], HookAnswer]) -> HookAnswer:
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

    def receive(self, kind: str, name: str, request: HookRequest) -> HookAnswer:
        """One webhook request for the channel `name` of `kind`."""
        return self._with(kind, name, lambda worker: worker.receive(request))
