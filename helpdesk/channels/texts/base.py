"""The one small interface every text channel kind has (docs/architecture.md, Channels):

- `poll()`    receive what it must fetch (Telegram's updates; the phone's webhooks kept
              registered and its delivery states read), once; the supervisor calls it in a loop;
- `receive()` turn a webhook request into what the services take, and say what to answer
              (kinds that declare hooks in services/channel_kinds);
- `send()`    deliver one reply the outbox gives it, returning the channel's id for it;
- `check()`   one line: "" when the far end answers with these settings, else why not.

Status (last contact, last error, replies waiting) is kept by services.messaging.channels
from what these report. A kind is one module beside this one, registered in KINDS."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from helpdesk.models import Channel
from helpdesk.services.channel_kinds import HookAnswer, HookRequest
from helpdesk.services.errors import Forbidden, ValidationFailed

TIMEOUT = httpx.Timeout(15.0, connect=5.0)
# httpx logs each request's URL at INFO, and Telegram's URLs carry the bot token: never log them.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)


class ChannelDown(Exception):
    """The far end cannot take it now (offline, 5xx, 429): the reply waits and is tried again."""


class Refused(Exception):
    """The far end said no for good (a bad number, a blocked bot): the reply fails with why."""


class BadRequest(ValidationFailed):
    """A webhook request that is not what the sender documents (422)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, {"body": message})


class Forged(Forbidden):
    """A webhook request whose signature does not verify, or is stale (403): nothing is stored."""


@dataclass(frozen=True)
class Sent:
    external_id: str
    delivered: bool = False


# What a channel can say about a reply it was sending when Helpdesk stopped (`reconcile`).
NOT_SENT = "not sent"  # it surely did not go (or the far end drops a repeat of our id): send it
UNKNOWN = "unknown"  # the far end cannot tell: send it, and say in the thread it may arrive twice


def describe(exc: Exception) -> str:
    """An httpx failure in words, with no URL (it may hold a password)."""
    if isinstance(exc, httpx.ConnectError):
        return "does not answer (is it on and on this network?)"
    if isinstance(exc, httpx.TimeoutException):
        return "did not answer in time"
    if isinstance(exc, httpx.HTTPError):
        return f"the connection failed ({exc.__class__.__name__})"
    return str(exc)


class TextChannel:
    """Base for one configured channel: its row, its secrets, the services."""

    kind = ""
    poll_seconds = 10.0

    def __init__(self, services: Any, channel: Channel, secrets: dict[str, str]) -> None:
        self.services = services
        self.channel = channel
        self.config: dict[str, Any] = dict(channel.config)
        self.secrets = secrets
        self.http = httpx.Client(timeout=TIMEOUT, follow_redirects=False)

    def close(self) -> None:
        self.http.close()

    def poll(self) -> None:
        """One round of receiving; nothing for webhook-only kinds."""

    def check(self) -> str:
        raise NotImplementedError

    def receive(self, request: HookRequest) -> HookAnswer:
        """One webhook request (signature first); only kinds with hooks are called."""
        raise NotImplementedError

    def send(self, out: Any) -> Sent:
        raise NotImplementedError

    def reconcile(self, out: Any, since: Any) -> "Sent | str":
        """A reply this channel was sending (since `since`) when Helpdesk stopped: Sent when the far
        end has it, NOT_SENT when sending again is safe, UNKNOWN when it cannot tell. The phone
        drops a repeat of our id, so for it sending again is always safe."""
        return NOT_SENT

    def record(self, error: str = "", state: dict | None = None) -> None:
        """Tell the services how the far end answered (Settings, the banner)."""
        self.services.messaging.channels.contact(self.channel.id, error, state)
