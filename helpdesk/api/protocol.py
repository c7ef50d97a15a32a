"""The HTTP server's own budgets, before any request reaches the app: a request's line and
headers together may be at most HEAD_BYTES (431 beyond), and must arrive within HEAD_SECONDS
of the connection opening or the request starting (408, then closed), so nobody holds
connections open by trickling headers or fills memory with one huge header. uvicorn's
httptools protocol has neither limit; this is that protocol with them."""

from __future__ import annotations

import asyncio
from typing import Any

HEAD_BYTES = 64 * 1024
HEAD_SECONDS = 10.0


def http_protocol() -> Any:
    """The protocol class to give uvicorn (`http=`), or "h11" with its own limit when httptools
    is not installed."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover  (uvicorn[standard] brings httptools)
        return "h11"

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # uvicorn declares it so, narrower than asyncio
            super().connection_made(transport)
            self._head_timer: asyncio.TimerHandle | None = None
            self._start_head()

        def _start_head(self) -> None:
            self._in_head, self._head_bytes = True, 0
            if self._head_timer is not None:
                self._head_timer.cancel()
            self._head_timer = self.loop.call_later(HEAD_SECONDS, self._too_slow)

        def _end_head(self) -> None:
            self._in_head = False
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _refuse(self, status: bytes, words: bytes) -> None:
            self._end_head()
            if not self.transport.is_closing():
                self.transport.write(b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
                                     b"content-length: " + str(len(words)).encode() + b"\r\nconnection: close\r\n\r\n"
                                     + words)
                self.transport.close()

        def _too_slow(self) -> None:
            self._refuse(b"408 Request Timeout", b"The request's headers took too long to arrive.")

        def data_received(self, data: bytes) -> None:
            counting = self._in_head
            super().data_received(data)
            if counting and self._in_head:
                self._head_bytes += len(data)
                if self._head_bytes > HEAD_BYTES:
                    self._refuse(b"431 Request Header Fields Too Large", b"The request's headers are too large.")

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if not self._in_head:  # the next request on a kept-alive connection
                self._start_head()

        def on_headers_complete(self) -> None:
            self._end_head()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._end_head()
            super().connection_lost(exc)

    return GuardedHttpToolsProtocol
