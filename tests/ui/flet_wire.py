"""A Flet page with no browser behind it: its session encodes every message exactly as
Flet's socket server does (msgpack, the same encoder) and keeps the bytes, so a test can see
what an update would send and a benchmark can time the server's whole share of it."""

from __future__ import annotations

import asyncio
import time

import flet as ft
import msgpack
from flet.controls.base_control import BaseControl
from flet.messaging.connection import Connection
from flet.messaging import protocol
from flet.messaging.session import Session
from flet.pubsub.pubsub_hub import PubSubHub


def encoder():  # type: ignore[no-untyped-def]
    """The encoder Flet's server configures for each message (with or without ui/flet_speedups)."""
    return protocol.configure_encode_object_for_msgpack(BaseControl)


class Wire(Connection):
    def __init__(self, keep: bool = True) -> None:
        super().__init__()
        self.pubsubhub = PubSubHub()
        self.keep = keep
        self.sent: list[bytes] = []

    def send_message(self, message: object) -> None:
        data = msgpack.packb([message.action, message.body], default=encoder())  # type: ignore[attr-defined]
        if self.keep:
            self.sent.append(data)

    def sent_since(self, mark: int) -> bytes:
        return b"".join(self.sent[mark:])


def offline_page(keep: bool = True) -> tuple[ft.Page, Wire]:
    """A page as a browser would have it after connecting (call inside a running loop). Keep
    the wire while using the page: it holds the session, which the page only references weakly."""
    wire = Wire(keep)
    wire.loop = asyncio.get_running_loop()
    wire.session = Session(wire)
    msgpack.packb(wire.session.get_page_patch(), default=encoder())
    return wire.session.page, wire


async def offline_workspace(app, agent, device: str = "test"):  # type: ignore[no-untyped-def]
    """The real agent workspace, mounted on an offline page 1280 x 800: (workspace, wire)."""
    from helpdesk.ui.context import UiContext
    from helpdesk.ui.workspace.shell import Workspace

    page, wire = offline_page()
    page.width, page.height = 1280, 800

    async def navigate(_where: str) -> None: ...

    workspace = Workspace(UiContext(page, app.services, app.settings, agent, device, navigate))
    await workspace.mount()
    return workspace, wire


async def customer_writes(app, workspace, email: str, body: str = "Where is my parcel?") -> int:  # type: ignore[no-untyped-def]
    """A customer message stored, and the events its write published handed to the workspace as
    the bus delivers them (published on the writer thread, before the write's caller hears back)."""
    from helpdesk import events
    from helpdesk.services.conversations import IncomingMessage

    published: list[events.Event] = []
    stop = app.db.bus.subscribe(published.append)
    try:
        got = await app.db.run_write(app.services.conversations.receive, IncomingMessage(body=body, email=email))
    finally:
        stop()
    for event in published:
        workspace.on_event(event)
    return got.conversation_id


async def within(seconds: float, condition) -> bool:  # type: ignore[no-untyped-def]
    """True once `condition()` holds, checked every 10 ms for up to `seconds` while the loop runs."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.01)
    return False


async def listed_within(workspace, conversation_id: int, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    """True once the conversation's row is on the workspace's list, within `seconds`."""
    return await within(seconds, lambda: conversation_id in workspace.inbox.rows)
