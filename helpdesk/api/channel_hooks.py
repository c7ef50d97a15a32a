"""Webhooks of the messaging channels: the shop's SMS phone and Twilio call these. Thin:
the channel module checks the signature and turns the request into what the services take.
A request that is not signed right is 403 and stores nothing; an event seen before answers
200 again (so the sender stops retrying) and stores nothing either."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from helpdesk.api.errors import error_response
from helpdesk.services.errors import NotFound
from helpdesk.services.mail.secrets import SecretMissing

HOOK_RESPONSES = {
    403: {"description": "the signature does not verify (or is stale): nothing is stored"},
    404: {"description": "no active channel of this kind has this name"},
    503: {"description": "the channel cannot take it now (a file could not be fetched, its secret is missing); "
                         "the sender retries"},
}
ChannelName = Annotated[str, Path(min_length=1, max_length=100, description="the channel's name in Settings")]
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _channel(services: Any, kind: str, name: str) -> Any:
    """The channel's worker for this request, or 404 for a name that is not an active channel of this kind."""
    from helpdesk.channels.texts import open_channel

    try:
        channel = services.messaging.channels.by_name(name)
    except NotFound:
        channel = None
    if channel is None or channel.kind != kind or not channel.active:
        raise HTTPException(404, f"there is no active {kind} channel called {name}")
    return open_channel(services, channel)


async def _handle(request: Request, kind: str, name: str, call: Any) -> Any:
    from helpdesk.channels.texts.base import BadRequest, ChannelDown

    services = request.app.state.services

    def work() -> Any:
        worker = _channel(services, kind, name)
        try:
            return call(worker)
        finally:
            worker.close()

    try:
        return await services.db.run_read(work)
    except BadRequest as exc:
        return error_response(exc.status, "forbidden" if exc.status == 403 else "bad_request", str(exc))
    except (ChannelDown, SecretMissing) as exc:  # the sender retries later (both the phone and Twilio do)
        return error_response(503, "unavailable", str(exc), headers={"Retry-After": "60"})


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/channels", tags=["channels"])

    @router.post("/sms-gateway/{name}", responses=HOOK_RESPONSES, summary="Webhook of SMS Gateway for Android (no token scope: signed with the phone's key)")
    async def sms_gateway(request: Request, name: ChannelName) -> Any:
        body = await request.body()
        result = await _handle(request, "sms-gateway", name, lambda w: w.receive(body, request.headers))
        return result if isinstance(result, Response) else JSONResponse({"status": result})

    async def twilio(request: Request, name: str, status_callback: bool) -> Any:
        body = await request.body()
        try:
            fields = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            return error_response(400, "bad_request", "the form is not UTF-8")
        signature = request.headers.get("x-twilio-signature", "")
        query = request.url.query
        result = await _handle(request, "twilio", name,
                               lambda w: w.receive(fields, signature, status_callback, query))
        return result if isinstance(result, Response) else Response(EMPTY_TWIML, media_type="text/xml")

    @router.post("/twilio/{name}", responses=HOOK_RESPONSES, summary="Twilio's incoming-message webhook (no token scope: X-Twilio-Signature)")
    async def twilio_message(request: Request, name: ChannelName) -> Any:
        return await twilio(request, name, False)

    @router.post("/twilio/{name}/status", responses=HOOK_RESPONSES, summary="Twilio's status callback (no token scope: X-Twilio-Signature)")
    async def twilio_status(request: Request, name: ChannelName) -> Any:
        return await twilio(request, name, True)

    return router
