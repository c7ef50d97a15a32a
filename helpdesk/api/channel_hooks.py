"""Webhooks of the messaging channels: the shop's SMS phone and Twilio call these. Thin:
the receivers (channels/texts/webhooks.py, given by the composition root) check the
signature and turn the request into what the services take. A request that is not signed
right is 403 and stores nothing; an event seen before answers 200 again (so the sender
stops retrying) and stores nothing either."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from helpdesk.api.bodies import read_small
from helpdesk.api.errors import error_response
from helpdesk.api.limits import from_shop_network

HOOK_RESPONSES = {
    403: {"description": "the signature does not verify (or is stale): nothing is stored"},
    404: {"description": "no active channel of this kind has this name"},
    422: {"description": "not a request of the kind the sender documents"},
    503: {"description": "the channel cannot take it now (a file could not be fetched, its secret is missing); "
                         "the sender retries"},
}
ChannelName = Annotated[str, Path(min_length=1, max_length=100, description="the channel's name in Settings")]
PHONE_WEBHOOK_BYTES = 256_000  # one text's event: a few kilobytes
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def receivers_of(request: Request) -> Any:
    return request.app.state.webhooks


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/channels", tags=["channels"])

    @router.post("/sms-gateway/{name}", responses=HOOK_RESPONSES,
                 summary="Webhook of SMS Gateway for Android (no token scope: signed with the phone's key)")
    async def sms_gateway(request: Request, name: ChannelName) -> Any:
        services = request.app.state.services
        local = from_shop_network(request, services.links.public_url())
        body = await read_small(request, PHONE_WEBHOOK_BYTES)
        receivers = request.app.state.webhooks
        status = await services.db.run_read(receivers.sms_gateway, name, body, request.headers, local)
        return JSONResponse({"status": status})

    # Not part of the API's contract (left out of the OpenAPI document): `channel check` calls it
    # through the callback address to prove the phone's way in reaches this Helpdesk.
    @router.get("/sms-gateway/{name}", include_in_schema=False)
    async def sms_gateway_probe(request: Request, name: ChannelName,
                                probe: Annotated[str, Query(pattern="^[0-9a-f]{16,64}$")]) -> Any:
        services = request.app.state.services
        if not await services.db.run_read(receivers_of(request).has_channel, "sms-gateway", name):
            return error_response(404, "not_found", f"there is no active sms-gateway channel called {name}")
        return JSONResponse({"channel": name, "proof": services.files.proof(f"channel-probe:{name}", probe)})

    async def twilio(request: Request, name: str, status_callback: bool) -> Any:
        body = await request.body()
        try:
            fields = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            return error_response(422, "validation_failed", "the form is not UTF-8")
        receivers = request.app.state.webhooks
        await request.app.state.services.db.run_read(receivers.twilio, name, fields,
                                                     request.headers.get("x-twilio-signature", ""),
                                                     status_callback, request.url.query)
        return Response(EMPTY_TWIML, media_type="text/xml")

    @router.post("/twilio/{name}", responses=HOOK_RESPONSES,
                 summary="Twilio's incoming-message webhook (no token scope: X-Twilio-Signature)")
    async def twilio_message(request: Request, name: ChannelName) -> Any:
        return await twilio(request, name, False)

    @router.post("/twilio/{name}/status", responses=HOOK_RESPONSES,
                 summary="Twilio's status callback (no token scope: X-Twilio-Signature)")
    async def twilio_status(request: Request, name: ChannelName) -> Any:
        return await twilio(request, name, True)

    return router
