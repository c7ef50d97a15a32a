"""Webhooks of the messaging channels (the shop's SMS phone, Twilio): one route for each hook a
kind declares in services/channel_kinds, so a new kind brings its routes with it. Thin: the
body is read (bounded) and handed to the receivers (channels/texts/webhooks.py, given by the
composition root), whose worker for the channel checks the signature and reads the request.
A request that is not signed right is 403 and stores nothing; an event seen before answers
200 again (so the sender stops retrying) and stores nothing either."""

from __future__ import annotations

from typing import Annotated, Any, Awaitable, Callable

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from helpdesk.api.bodies import read_small
from helpdesk.api.errors import error_response
from helpdesk.api.limits import from_shop_network
from helpdesk.services.channel_kinds import REGISTRY, Hook, HookRequest

HOOK_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"description": "the signature does not verify (or is stale): nothing is stored"},
    404: {"description": "no active channel of this kind has this name"},
    413: {"description": "the request is larger than one event's"},
    422: {"description": "not a request of the kind the sender documents"},
    503: {"description": "the channel cannot take it now (a file could not be fetched, its secret is missing); "
                         "the sender retries"},
}
ChannelName = Annotated[str, Path(min_length=1, max_length=100, description="the channel's name in Settings")]


def receivers_of(request: Request) -> Any:
    return request.app.state.webhooks


def _receiver(kind: str, hook: Hook) -> Callable[[Request, str], Awaitable[Response]]:
    async def receive(request: Request, name: ChannelName) -> Response:
        services = request.app.state.services
        given = HookRequest(hook.suffix, await read_small(request, hook.max_bytes), request.headers,
                            request.url.query, from_shop_network(request, services.links.public_url()))
        answer = await services.db.run_read(receivers_of(request).receive, kind, name, given)
        return Response(answer.body, media_type=answer.media_type)

    return receive


def _probe(kind: str) -> Callable[..., Awaitable[Response]]:
    # Not part of the API's contract (left out of the OpenAPI document): `channel check` calls it
    # through the callback address to prove the far end's way in reaches this Helpdesk.
    async def probe(request: Request, name: ChannelName,
                    probe: Annotated[str, Query(pattern="^[0-9a-f]{16,64}$")]) -> Response:
        services = request.app.state.services
        if not await services.db.run_read(receivers_of(request).has_channel, kind, name):
            return error_response(404, "not_found", f"there is no active {kind} channel called {name}")
        return JSONResponse({"channel": name, "proof": services.files.proof(f"channel-probe:{name}", probe)})

    return probe


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/channels", tags=["channels"])
    for kind in REGISTRY.values():
        for hook in kind.hooks:
            router.add_api_route(f"/{kind.name}/{{name}}{hook.suffix}", _receiver(kind.name, hook), methods=["POST"],
                                 responses=HOOK_RESPONSES, summary=hook.summary,
                                 name=f"{kind.name}{hook.suffix.replace('/', '-')}-webhook")
        if kind.hooks:
            router.add_api_route(f"/{kind.name}/{{name}}", _probe(kind.name), methods=["GET"],
                                 include_in_schema=False, name=f"{kind.name}-probe")
    return router
