"""Request limits: a body over the size limit is answered 413 before the app sees it; the
address rate limits count by."""

from __future__ import annotations

import contextlib
import json
import re

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def client_address(request: Request) -> str:
    """Who a rate limit counts: the peer, or the client a configured reverse proxy names
    (uvicorn believes X-Forwarded-For only from HELPDESK_TRUSTED_PROXIES; none by default)."""
    return request.client.host if request.client else "unknown"


def from_shop_network(request: Request, public_url: str | None) -> bool:
    """A request from this machine or the LAN that did not come through the public address (a
    tunnel on the shop PC connects from loopback, but names the public host)."""
    import ipaddress

    from helpdesk.server.hosts import normal_host, url_host

    try:
        peer = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    if not (peer.is_private or peer.is_loopback or peer.is_link_local):
        return False
    public = url_host(public_url)
    return not public or normal_host(request.headers.get("host")) != public


class BodySizeLimit:
    """A request body over its limit is refused with 413, counted as it streams in (a chunked
    upload included), never buffered here: routes that take files get the per-message file
    limit (plus room for base64 and form overhead), everything else a small one."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int = 0,
                 upload_paths: tuple[re.Pattern[str], ...] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = upload_bytes
        self.upload_paths = upload_paths

    def limit_for(self, path: str) -> int:
        return self.upload_bytes if any(p.fullmatch(path) for p in self.upload_paths) else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in {"GET", "HEAD", "OPTIONS", "DELETE"}:
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        with contextlib.suppress(ValueError):  # a length that is no number: the count below still holds
            if declared is not None and int(declared) > limit:
                await self._reject(send, limit)
                return
        seen = 0
        over = False
        started = False

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:  # tell the app the client went away; answer 413 ourselves
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if over:
                return  # whatever the app answers after the cut-off is replaced by the 413
            started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not over:
                raise
        if over and not started:
            await self._reject(send, limit)

    @staticmethod
    async def _reject(send: Send, limit: int) -> None:
        payload = json.dumps({"error": {"code": "payload_too_large",
                                        "message": f"the request body must be at most {limit} bytes"}}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": payload})
