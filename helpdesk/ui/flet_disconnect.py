"""A websocket that closes before its page registers leaves Flet 0.82's handler waiting forever.

`FletApp.handle` runs a send loop beside its receive loop and waits for both; when the
socket closes, the receive loop ends the send loop by queueing `None`, but only once a
session exists. A socket that connects and closes before registering (a scanner, a browser
tab closed while loading, the hardening test's handshake) leaves the send loop waiting on its
queue: one task and its objects for as long as Helpdesk runs, and a shutdown that waits out
its whole grace period. Here the receive loop is wrapped so that it always ends the send
loop; Flet's own code is unchanged. If Flet's private parts are not there (another Flet
version), nothing is wrapped and a warning says so."""

from __future__ import annotations

import logging
from typing import Any

from flet_web.fastapi.flet_app import FletApp

log = logging.getLogger(__name__)
RECEIVE_LOOP = "_FletApp__receive_loop"  # Flet's private (name-mangled) parts, read by name
SESSION, SEND_QUEUE = "_FletApp__session", "_FletApp__send_queue"


def install() -> bool:
    original = getattr(FletApp, RECEIVE_LOOP, None)
    if original is None or getattr(original, "ends_send_loop", False):
        if original is None:
            log.warning("Flet's FletApp has no receive loop by that name (another Flet version?): "
                        "websockets closed before registering are left to Flet")
        return original is not None

    async def receive_loop(self: Any) -> None:
        try:
            await original(self)
        finally:
            queue = getattr(self, SEND_QUEUE, None)
            if getattr(self, SESSION, None) is None and queue is not None:
                await queue.put(None)  # what Flet does itself once a session exists

    setattr(receive_loop, "ends_send_loop", True)
    setattr(FletApp, RECEIVE_LOOP, receive_loop)
    return True
