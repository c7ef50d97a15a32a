"""The website chat's HTTP side: the script a shop pastes into its site (`/widget.js`), the
visitor's thread, their messages, live updates as server-sent events (the browser
reconnects and catches up by Last-Event-ID), and `/chat`, the same chat as a page for the
shop's counter. Only the sites configured for the chat may call it from a browser (CORS);
every route is rate limited per visitor and per address; bodies are size-limited."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any, Optional

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from helpdesk.events import PRESENCE_CHANGED
from helpdesk import events
from helpdesk.api.bodies import discard, parse_model, read_body, read_small
from helpdesk.api.errors import error_response
from helpdesk.api.limits import client_address
from helpdesk.services.chat import ChatThread
from helpdesk.services.errors import Forbidden, NotFound, PayloadTooLarge, ServiceError, ValidationFailed
from helpdesk.services.ratelimit import RateLimited, wait_in_words
from helpdesk.web.media import play_length, shared_card
from helpdesk.web import (PAGE_HEADERS, ROBOTS_TXT, WIDGET_JS, WIDGET_JS_GZ, WIDGET_LOADER, WIDGET_LOADER_GZ,
                          WIDGET_HASH, WIDGET_PATH, render)

KEEP_ALIVE_SECONDS = 15.0
CHAT_JSON_BYTES = 128_000  # a chat message as JSON: 10,000 characters (escaped, in the worst case) and an address
CHAT_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; media-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    visitor: StrictStr = Field("", max_length=64)
    body: StrictStr = Field("", max_length=10_000)
    email: StrictStr = Field("", max_length=254)
    name: StrictStr = Field("", max_length=200)
    user_id: StrictStr = Field("", max_length=128)
    user_hash: StrictStr = Field("", max_length=128)
    seen_articles: list[int] = Field(default_factory=list, max_length=5,
                                     description="help articles suggested while the visitor typed")


def _parse_chat(raw: bytes) -> ChatIn:
    return parse_model(ChatIn, raw.decode("utf-8", errors="replace"))


def thread_json(thread: ChatThread) -> dict:
    return {"conversation_id": thread.conversation_id, "status": thread.status, "link": thread.link,
            "earlier": [{"title": title, "link": link} for title, link in thread.earlier],
            "messages": [message_json(m) for m in thread.messages]}


def message_json(m: Any) -> dict:
    media = m.media or tuple(("", None) for _ in m.files)
    words, map_url = shared_card(m.meta or {})
    return {"id": m.id, "mine": m.mine, "who": m.who, "body": m.body, "at": m.at.isoformat(), "when": m.when,
            "files": [{"name": name, "url": url, "media": kind, "length": play_length(ms)}
                      for (name, url), (kind, ms) in zip(m.files, media)],
            **({"choices": list(m.choices)} if m.choices else {}), **({"payment": m.payment} if m.payment else {}),
            **({"card": words, "map": map_url} if words else {})}


def script_response(request: Request, text: str, compressed: bytes, cache: str, etag: str) -> Response:
    """A script, gzip-compressed when the browser takes it, revalidated by its ETag."""
    headers = {"Cache-Control": cache, "X-Content-Type-Options": "nosniff", "Vary": "Accept-Encoding",
               "ETag": etag, "Cross-Origin-Resource-Policy": "cross-origin"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        return Response(compressed, media_type="text/javascript; charset=utf-8",
                        headers={**headers, "Content-Encoding": "gzip"})
    return Response(text, media_type="text/javascript; charset=utf-8", headers=headers)


def _cors(request: Request, allowed: bool) -> dict[str, str]:
    origin = request.headers.get("origin")
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"} if origin and allowed else {"Vary": "Origin"}


async def _site(services: Any, key: str | None) -> Any:
    """The active chat with this key, or None."""
    try:
        return await services.db.run_read(services.chat.site, key or "")
    except NotFound:
        return None


def _too_much(wait: float, headers: dict[str, str]) -> Response:
    return error_response(429, "rate_limited", "too many files from this connection this hour; try again in "
                          f"{wait_in_words(wait)}", headers={**headers, "Retry-After": str(int(wait) + 1)})


def build_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/widget.js")
    def loader(request: Request) -> Response:
        """What shops paste: a few hundred bytes naming the current chat script (five minutes'
        cache, so an upgrade reaches every site within minutes)."""
        return script_response(request, WIDGET_LOADER, WIDGET_LOADER_GZ, "public, max-age=300",
                               f'"{WIDGET_HASH}-loader"')

    @router.get(WIDGET_PATH)
    def script(request: Request) -> Response:
        """The chat itself at an address named by its content: cached for a year, never stale."""
        return script_response(request, WIDGET_JS, WIDGET_JS_GZ, "public, max-age=31536000, immutable",
                               f'"{WIDGET_HASH}"')

    @router.get("/robots.txt")
    def robots() -> Response:
        return Response(ROBOTS_TXT, media_type="text/plain; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})

    async def who_and_site(request: Request, key: str, visitor: str, user_id: str, user_hash: str,
                           limiter: str) -> Any:
        """(the visitor, None), or (None, the refusal): with CORS headers for an allowed site, so
        the chat can say why (a wrong signature, too many messages)."""
        services = request.app.state.services
        channel = await _site(services, key)
        if channel is None:
            return None, error_response(404, "not_found", "there is no chat with this key")
        if not services.chat.origin_allowed(channel, request.headers.get("origin")):
            return None, error_response(403, "forbidden", "this site may not use this chat")
        cors = _cors(request, True)
        try:
            who = await services.db.run_read(services.chat.visitor, key, visitor, user_id, user_hash)
            getattr(services.limits, limiter).check(who.external_id, "too many messages from this chat")
            getattr(services.limits, limiter.replace("chat_", "chat_address_")).check(
                client_address(request), "too many messages from this address")
        except RateLimited as exc:
            return None, error_response(429, exc.code, exc.message, headers={**cors, "Retry-After": str(int(exc.retry_after) + 1)})
        except ServiceError as exc:
            status = 403 if isinstance(exc, Forbidden) else 422
            return None, error_response(status, exc.code, exc.message, exc.fields, headers=cors)
        return who, None

    @router.options("/widget/{key}/{rest:path}")
    async def preflight(key: str, rest: str, request: Request) -> Response:
        services = request.app.state.services
        channel = await _site(services, key)
        if channel is None:
            return Response(status_code=404)
        allowed = services.chat.origin_allowed(channel, request.headers.get("origin"))
        headers = {**_cors(request, allowed), "Access-Control-Allow-Methods": "GET, POST",
                   "Access-Control-Allow-Headers": "Content-Type, Last-Event-ID", "Access-Control-Max-Age": "600"}
        return Response(status_code=204 if allowed else 403, headers=headers)

    @router.get("/widget/{key}/thread")
    async def thread(key: str, request: Request, visitor: str = "", user_id: str = "", user_hash: str = "",
                     after: Annotated[int, Query(ge=0, le=2 ** 62)] = 0) -> Response:
        services = request.app.state.services
        who, refused = await who_and_site(request, key, visitor, user_id, user_hash, "chat_reads")
        if refused:
            return refused
        found = await services.db.run_read(services.chat.thread, who, after)
        info = await services.db.run_read(services.promise.for_chat, found.conversation_id)
        return JSONResponse({**thread_json(found), **info}, headers=_cors(request, True))

    @router.post("/widget/{key}/messages")
    async def send(key: str, request: Request, visitor: str = "", user_id: str = "", user_hash: str = "") -> Response:
        """JSON, or multipart (a `message` JSON part and `files`) when the visitor sends photos. Who is
        writing comes in the query, so a site or visitor that may not write is refused before
        anything is read, and files are kept only within the anonymous upload budgets."""
        services = request.app.state.services
        json_body = request.headers.get("content-type", "").startswith("application/json")
        early: ChatIn | None = None
        cors = _cors(request, True)
        try:
            if json_body and not visitor and not user_id:  # the visitor named in the JSON (older snippets, scripts)
                if await _site(services, key) is None:
                    return error_response(404, "not_found", "there is no chat with this key")
                early = _parse_chat(await read_small(request, CHAT_JSON_BYTES))
                visitor, user_id, user_hash = early.visitor, early.user_id, early.user_hash
        except PayloadTooLarge as exc:
            return error_response(413, exc.code, exc.message, headers=cors)
        who, refused = await who_and_site(request, key, visitor, user_id, user_hash, "chat_posts")
        if refused:
            return refused
        address = client_address(request)
        if not json_body and (wait := services.limits.keep_uploads(address, who.external_id, 0)):
            return _too_much(wait, cors)
        files: list = []
        try:
            if early is not None:
                payload = early
            elif json_body:
                payload = _parse_chat(await read_small(request, CHAT_JSON_BYTES))
            else:
                payload, files = await read_body(request, services, ChatIn)
            if not payload.body.strip() and not files:
                raise ValidationFailed("write something first", {"body": "empty"})
            if files and (wait := services.limits.keep_uploads(address, who.external_id, sum(f.size for f in files))):
                await discard(services, files)
                return _too_much(wait, cors)
            seen = await services.db.run_read(services.articles.seen, payload.seen_articles)
            found = await services.db.run_read(services.chat.send, who, payload.body, payload.email, payload.name,
                                               files, seen)
        except ServiceError as exc:  # a bad address, files over the limit: said to the visitor
            await discard(services, files)
            status = 413 if isinstance(exc, PayloadTooLarge) else 422
            return error_response(status, exc.code, exc.message, exc.fields, headers=cors)
        info = await services.db.run_read(services.promise.for_chat, found.conversation_id)
        return JSONResponse({**thread_json(found), **info}, status_code=201, headers=cors)

    @router.get("/widget/{key}/events")
    async def live(key: str, request: Request, visitor: str = "", user_id: str = "", user_hash: str = "",
                   after: Annotated[int, Query(ge=0, le=2 ** 62)] = 0) -> Response:
        services = request.app.state.services
        who, refused = await who_and_site(request, key, visitor, user_id, user_hash, "chat_reads")
        if refused:
            return refused
        last_id = request.headers.get("last-event-id", "")
        last = int(last_id) if last_id.isdigit() and len(last_id) < 19 else after
        loop = asyncio.get_running_loop()
        woken = asyncio.Event()
        watching: dict[str, int | None] = {"id": None}  # the visitor's conversation, once known

        def wake(event: events.Event) -> None:
            # Only this visitor's conversation (or any, until they have one) wakes this stream:
            # 500 open chats must not each read the database for every message in the shop.
            if watching["id"] is None or event.conversation_id == watching["id"] \
                    or event.type == events.CONVERSATION_CREATED:  # perhaps theirs, after a resolved one
                loop.call_soon_threadsafe(woken.set)

        unsubscribe = services.events.subscribe(wake, {events.MESSAGE_CREATED, events.CONVERSATION_UPDATED,
                                                       events.CONVERSATION_CREATED, PRESENCE_CHANGED})

        async def stream():
            nonlocal last
            try:
                yield "retry: 3000\n\n"
                while not await request.is_disconnected():
                    woken.clear()
                    found = await services.db.run_read(services.chat.thread, who, last)
                    watching["id"] = found.conversation_id
                    for m in found.messages:
                        data = json.dumps(message_json(m))
                        yield f"id: {m.id}\nevent: message\ndata: {data}\n\n"
                        last = max(last, m.id)
                    if found.conversation_id is not None:  # an agent writing an answer: "Priya is typing…"
                        typing = [name for name, now_typing in services.presence.others(found.conversation_id, 0)
                                  if now_typing]
                        if typing:
                            yield f"event: typing\ndata: {json.dumps({'who': typing[0]})}\n\n"
                    try:
                        await asyncio.wait_for(woken.wait(), KEEP_ALIVE_SECONDS)
                    except asyncio.TimeoutError:
                        yield ": still here\n\n"
            finally:
                unsubscribe()

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={**_cors(request, True), "Cache-Control": "no-store",
                                          "X-Accel-Buffering": "no"})

    @router.get("/chat/poster.png")
    async def poster(request: Request, site: Optional[str] = None) -> Response:
        """The counter poster: the QR code of this chat's /chat page, on the address customers use (the
        public one when set, else this PC's LAN address: the shop's Wi-Fi, with no internet needed)."""
        from helpdesk.web.poster import poster_png

        services = request.app.state.services
        channel = await _site(services, site)
        if channel is None:
            return error_response(404, "not_found", "there is no chat with this key")
        team = await services.db.run_read(services.promise.team_name)
        png = await asyncio.to_thread(poster_png, services.chat.page_url(channel), team,
                                      offline=not services.links.public_url())
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store",
                                                              "X-Content-Type-Options": "nosniff"})

    @router.get("/chat")
    async def chat_page(request: Request, site: Optional[str] = None) -> Response:
        services = request.app.state.services
        channel = await _site(services, site)
        if channel is None:
            return HTMLResponse(render("message.html", title="Not found", text="This chat address is not valid."),
                                404, headers=PAGE_HEADERS)
        team = await services.db.run_read(services.promise.team_name)
        return HTMLResponse(render("chat.html", key=channel.config["key"], team=team, script=WIDGET_PATH),
                            headers=CHAT_PAGE_HEADERS)

    return router

