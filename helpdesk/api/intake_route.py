"""POST /api/v1/messages, the busiest route: what it does with a message (shared by FastAPI's
route, which documents it and serves every request out of the ordinary) and a lean ASGI path for
the usual request.

The usual request, JSON from a token seen in the last minutes with no files, is served by
`LeanIntake` in front of the API app: the same parsing, model, checks, service call and
answers, without the middleware stack and router around them, which cost about as much as the
handler itself (py-spy, docs/performance.md). Anything else it hands on unread, or with the
bytes it read played back, so that the API app gives it its usual answer: multipart or base64
files, a body without a length or over LEAN_BYTES, a token not in the cache, a missing scope,
JSON the model refuses."""

from __future__ import annotations

import functools
import logging
from typing import Any

import orjson
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from helpdesk.api.bodies import discard
from helpdesk.api.errors import error_body, service_error_answer
from helpdesk.api.headers import DEFAULTS as SECURITY_HEADERS
from helpdesk.api.schemas import MessageIn
from helpdesk.services.base import Actor
from helpdesk.services.container import Services
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.errors import ServiceError, ValidationFailed
from helpdesk.services.files import StagedFile
from helpdesk.services.intake_api import receive_from_api, vouches
from helpdesk.services.links import conversation_link

log = logging.getLogger(__name__)
PATH = "/api/v1/messages"
LEAN_BYTES = 64 * 1024  # a text message's JSON; larger bodies (base64 files) take the full path


def check_rate(services: Services, actor: Actor) -> None:
    services.limits.intake.check(f"token {actor.id}", "this API token is sending messages too fast")


async def accept_message(services: Services, payload: MessageIn, files: list[StagedFile], actor: Actor,
                         header_key: str | None) -> tuple[int, dict]:
    """Store a customer message from the API (group commit: acknowledged means durable); the
    status (201, or 200 for an idempotent replay) and the answer's body. The caller has counted
    it against the token's rate limit (check_rate)."""
    try:
        key = payload.idempotency_key
        if header_key is not None:
            if key is not None and key != header_key:
                raise ValidationFailed("two different idempotency keys were given",
                                       {"idempotency_key": "differs from the Idempotency-Key header"})
            key = header_key
        c = payload.customer
        # Checked here, on the event loop: the writer thread is what a burst queues for.
        checked = services.conversations.check(IncomingMessage(
            body=payload.body, email=c.email, phone=c.phone, external_id=c.external_id, name=c.name,
            subject=payload.subject, channel=payload.channel, conversation_id=payload.conversation_id,
            idempotency_key=key))
        # Group commit: the messages arriving together share one transaction and one fsync.
        result, link_sent = await services.db.run_write_batched(
            functools.partial(receive_from_api, services, checked, actor, c.verified, files))
    except BaseException:
        await discard(services, files)
        raise
    if result.replayed:  # the same message again: its files are the first one's
        await discard(services, files)
    shown = result.created or vouches(actor, c.verified)
    body = {"message_id": result.message_id, "conversation_id": result.conversation_id,
            "customer_id": result.customer_id, "conversation_status": result.conversation_status,
            "conversation_url": conversation_link(services.links.base_url(), result.public_token) if shown else None,
            "link_sent": link_sent}
    return (200 if result.replayed else 201), body


class LeanIntake:
    """The usual intake request, served without the API app's stack (see the module's words)."""

    def __init__(self, api: ASGIApp, services: Services) -> None:
        self.api = api
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"")
        secret = _bearer(headers.get(b"authorization"))
        token = self.services.tokens.cached(secret) if secret else None
        if (token is None or not length.isdigit() or int(length) > LEAN_BYTES
                or headers.get(b"content-type", b"").split(b";")[0].strip().lower() != b"application/json"):
            await self.api(scope, receive, send)
            return
        body, more = await _read(receive, int(length))
        actor = Actor.for_token(token, (scope.get("client") or ("unknown",))[0])
        payload = None
        if not more and actor.has_scope("intake"):
            try:
                data = orjson.loads(body)  # what it refuses (lone surrogates, NaN) the full path reads
                if isinstance(data, dict) and not data.get("attachments"):
                    payload = MessageIn.model_validate(data)
            except (ValueError, RecursionError, ValidationError):
                pass  # the full path words the refusal
        if payload is None:
            await self.api(scope, _played_back(body, more, receive), send)
            return
        key = headers.get(b"idempotency-key")
        try:
            check_rate(self.services, actor)
            status, answer = await accept_message(self.services, payload, [], actor,
                                                  key.decode("latin-1") if key is not None else None)
            extra = None
        except ServiceError as exc:
            status, answer, extra = service_error_answer(exc)
        except Exception as exc:  # as the API app's last error handler: logged, answered in words
            log.exception("unexpected error", exc_info=exc)
            status, answer, extra = 500, error_body("internal_error",
                                                    "something went wrong on the server; it has been logged"), None
        await _answer(send, status, answer, extra)


def _bearer(value: bytes | None) -> str:
    scheme, _, secret = (value or b"").decode("latin-1").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else ""


async def _read(receive: Receive, length: int) -> tuple[bytes, bool]:
    """The body, up to its declared length (or a little past it); whether more is to come."""
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return body, True  # the client went away: the full path sees the same
        body += message.get("body", b"")
        if not message.get("more_body", False):
            return body, False
        if len(body) > length:
            return body, True


def _played_back(body: bytes, more: bool, receive: Receive) -> Receive:
    played = False

    async def again() -> Message:
        nonlocal played
        if not played:
            played = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return again


async def _answer(send: Send, status: int, body: Any, extra: dict[str, str] | None) -> None:
    data = orjson.dumps(body)  # the bytes JSONResponse writes (compact UTF-8), ~3x quicker
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
               *SECURITY_HEADERS]
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
