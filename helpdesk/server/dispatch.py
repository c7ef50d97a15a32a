"""The one ASGI app the server runs: /api/…, /c/… and /files/… go to FastAPI (JSON errors,
customer pages, signed file links); every other path is the Flet agent UI (its page, assets and the /ws socket),
guarded here because Flet itself trusts every origin:

- the UI answers only requests addressed to this machine's own names (hosts.AllowedHosts),
  which stops DNS-rebinding pages;
- its websocket accepts only pages served from those names (Origin), so a web page on
  another site, open in a browser on the shop PC, cannot drive it as a loopback client;
- its responses may not be framed (clickjacking) and allow no cross-origin reads.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from helpdesk.db import Database
from helpdesk.events import fanout_trace
from helpdesk.server.hosts import AllowedHosts
from helpdesk.server.public_gate import PublicGate
from helpdesk.host.window import DesktopWindow

log = logging.getLogger(__name__)
UI_HEADERS = ((b"content-security-policy", b"frame-ancestors 'none'"), (b"x-frame-options", b"DENY"),
              (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"))
DROPPED = {b"access-control-allow-origin", b"access-control-allow-credentials"}


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class PathDispatcher:
    API_PREFIXES = ("/api/", "/c/", "/files/", "/widget", "/chat", "/downloads/", "/help")

    def __init__(self, api: ASGIApp, ui: ASGIApp, db: Database, hosts: AllowedHosts, window: DesktopWindow,
                 gate: PublicGate | None = None, intake: ASGIApp | None = None) -> None:
        self.gate = gate
        self.intake = intake  # POST /api/v1/messages's lean path (api/intake_route.py), in front of the API
        self.api = api
        self.ui = ui
        self.db = db
        self.hosts = hosts
        self.window = window

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.db.serves_on(asyncio.get_running_loop())  # from now on, blocking this loop is refused
        path = scope.get("path", "")
        if self.gate is not None and scope["type"] in ("http", "websocket") and self.gate.refuses(
                path, header(scope, b"host"), (scope.get("client") or (None,))[0]):
            await _not_here(scope, receive, send)
            return
        if self.intake is not None and path == "/api/v1/messages" and scope.get("method") == "POST":
            await self.intake(scope, receive, send)
        elif scope["type"] == "lifespan" or path.startswith(self.API_PREFIXES) or path in ("/api", "/robots.txt"):
            await self.api(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        elif scope["type"] == "http":
            await self._page(scope, receive, send)

    async def _page(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.hosts.allows_host(header(scope, b"host")):
            await _refuse(send, 400, "This address is not one Helpdesk answers to. Open it by this computer's "
                                     "name or IP address, or add the name to HELPDESK_ALLOWED_HOSTS.")
            return

        async def guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers") or [] if k.lower() not in DROPPED]
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in UI_HEADERS if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.ui(scope, receive, guarded)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = header(scope, b"origin")
        if not (self.hosts.allows_host(header(scope, b"host")) and self.hosts.allows_origin(origin)):
            log.warning("refused the agent UI's websocket to a page from %s", origin)
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})  # before accept: HTTP 403
            return
        client = scope.get("client")
        if origin is None and client and self.window.owns(client[1]):
            scope = _with_user_agent(scope, self.window.marker)  # the desktop window: see window.py

        async def send_while_open(message: Message) -> None:
            # A browser that went away (a tab closed, a laptop shut) while the server was sending
            # to it: the frame is dropped here, and its socket's closing arrives on the receive
            # side, where Flet ends the session in order. Raised into Flet, the failed send
            # skipped that ending (flet_web 0.82's FletApp.handle): the session stayed live,
            # refreshing for no one, and two tracebacks went to the owner's console.
            try:
                await send(message)
                if fanout_trace.enabled and message["type"] == "websocket.send":
                    fanout_trace.note("frame", client[1] if client else "")
            except OSError as exc:  # uvicorn's ClientDisconnected
                log.debug("dropped a %s to a browser that has gone: %s", message.get("type"), exc)

        await self.ui(scope, receive, send_while_open)


async def _not_here(scope: Scope, receive: Receive, send: Send) -> None:
    """What the internet sees of the agents' side: nothing (public_gate.py)."""
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.close", "code": 1008})
        return
    await _refuse(send, 404, "Not found")


def _with_user_agent(scope: Scope, marker: str) -> Scope:
    headers = [(k, v) for k, v in scope.get("headers") or [] if k.lower() != b"user-agent"]
    agent = (header(scope, b"user-agent") or "") + " " + marker
    return {**scope, "headers": headers + [(b"user-agent", agent.strip().encode("latin-1"))]}


async def _refuse(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                            *UI_HEADERS]})
    await send({"type": "http.response.body", "body": body})
