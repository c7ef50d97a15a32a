"""The live refresh's pacing never holds a customer message back: after a refresh, the views'
counts are read at most once a second, and a message that arrives while the workspace waits
for them shows at once (it waited out the counts' second: every other message took ~0.6 s
to show in the browser benchmark)."""

from __future__ import annotations

import asyncio

from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from helpdesk.ui.workspace import controller, pacing
from tests.ui.flet_wire import customer_writes, listed_within, offline_workspace


def test_a_message_arriving_while_the_counts_wait_is_shown_without_waiting_for_them(app, monkeypatch):
    monkeypatch.setattr(controller, "COUNTS_FRESH_FOR", 60.0)  # the held-back counts are due in a minute
    monkeypatch.setattr(pacing, "MIN_REFRESH_INTERVAL", 0.01)
    services = app.services
    bea = services.agents.create("bea@shop.example", "Bea", "a long password", role="admin", actor=Actor.system())
    services.conversations.receive(IncomingMessage(body="My helmet strap broke", email="gia@example.com"))

    async def scenario() -> None:
        workspace, wire = await offline_workspace(app, bea)
        first = await customer_writes(app, workspace, "hal@example.com")
        assert await listed_within(workspace, first, 5)
        assert workspace.c.counts_stale  # held back: the refresh loop now waits for them
        await asyncio.sleep(0.05)
        second = await customer_writes(app, workspace, "ivy@example.com")
        assert await listed_within(workspace, second, 5), "the message waited for the counts"
        assert workspace.c.counts_stale  # and the counts still keep their pace
        await workspace.leave()
        del wire

    asyncio.run(scenario())
