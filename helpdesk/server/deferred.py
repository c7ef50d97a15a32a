"""An ASGI app built in a background thread while the server starts.

The agent UI needs Flet, whose import is the largest part of a start (~0.8 s of ~2.5 s on
the benchmark machine, docs/performance.md): the intake API, the customer pages and the
health check need none of it. So the UI is built beside the server's start instead of
before it: the API answers as soon as the server listens, and a request for the UI that
comes before the build is done waits for it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future
from typing import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)


class DeferredApp:
    def __init__(self, build: Callable[[], ASGIApp], name: str) -> None:
        self._built: Future[ASGIApp] = Future()
        self._build = build
        threading.Thread(target=self._run, name=f"helpdesk-build-{name}", daemon=True).start()

    def _run(self) -> None:
        try:
            self._built.set_result(self._build())
        except BaseException as exc:  # every request for it will fail the same way, and say so
            log.exception("building the app failed")
            self._built.set_exception(exc)

    def wait(self, timeout: float | None = None) -> ASGIApp:
        """The app, once built (from a thread that may block)."""
        return self._built.result(timeout)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self._built.result() if self._built.done() else await asyncio.wrap_future(self._built)
        await app(scope, receive, send)
