"""Opening a long conversation answers the click with the messages that fit on screen; the
rest of its first page (above the screen) follows on its own, and only then the button for
earlier messages, so a thread that fits never flashes one."""

from __future__ import annotations

import asyncio

from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from helpdesk.ui.workspace.thread import BUBBLE_HEIGHT_AT_LEAST, THREAD_PAGE
from tests.ui.flet_wire import offline_workspace


def bubbles(workspace) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.key for c in workspace.thread.view.controls if str(c.key).startswith("m")]


def test_a_long_thread_opens_with_what_fits_and_the_rest_of_its_page_follows(app):
    services = app.services
    bea = services.agents.create("bea@shop.example", "Bea", "a long password", role="admin", actor=Actor.system())
    first = services.conversations.receive(IncomingMessage(body="Message 0", email="gia@example.com"))
    cid = first.conversation_id
    for n in range(1, 60):
        services.conversations.receive(IncomingMessage(body=f"Message {n}", email="gia@example.com",
                                                       conversation_id=cid))
    short = services.conversations.receive(IncomingMessage(body="Just one question", email="hal@example.com"))

    async def scenario() -> None:
        workspace, wire = await offline_workspace(app, bea)  # 800 px high
        mark = len(wire.sent)
        await workspace.open(cid)
        for _ in range(50):
            await asyncio.sleep(0.01)
            if len(bubbles(workspace)) == THREAD_PAGE:
                break
        fits = 800 // BUBBLE_HEIGHT_AT_LEAST + 2
        assert fits < THREAD_PAGE
        answer = next(m for m in wire.sent[mark:] if b"Message 59" in m)  # the click's own update
        assert f"Message {60 - fits}".encode() in answer and f"Message {59 - fits}".encode() not in answer
        assert b"earlier messages" not in answer
        assert len(bubbles(workspace)) == THREAD_PAGE  # then the rest of the page, newest at the bottom
        assert workspace.thread.view.controls[-1] is workspace.thread.earlier
        assert workspace.thread.earlier.content.text == "Show 20 earlier messages (20 not shown)"
        assert f"Message {60 - THREAD_PAGE}".encode() in wire.sent_since(mark)

        await workspace.open(short.conversation_id)  # fits on screen: all of it, no button
        await asyncio.sleep(0.05)
        assert len(bubbles(workspace)) == 1
        assert not any(c is workspace.thread.earlier for c in workspace.thread.view.controls)
        await workspace.leave()
        del wire

    asyncio.run(scenario())
