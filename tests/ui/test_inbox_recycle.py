"""A change of view or filters shows other conversations in the rows already on screen
(texts change in place: fewer controls to build, send and lay out), and each row then
opens the conversation it shows."""

from __future__ import annotations

import asyncio

from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from tests.ui.flet_wire import offline_workspace


def test_rows_show_the_new_filters_conversations_and_open_them(app):
    services = app.services
    bea = services.agents.create("bea@shop.example", "Bea", "a long password", role="admin", actor=Actor.system())
    asked = {}
    for name in ("Ann", "Ben", "Cat", "Dan"):
        got = services.conversations.receive(IncomingMessage(body=f"{name}'s question", email=f"{name}@example.com",
                                                             name=name))
        asked[name] = got.conversation_id
    for name in ("Cat", "Dan"):
        services.conversations.set_status(asked[name], "resolved", Actor.for_agent(bea))

    async def scenario() -> None:
        workspace, wire = await offline_workspace(app, bea)
        open_rows = {row.control for row in workspace.inbox.rows.values()}
        assert {row.name.value for row in workspace.inbox.rows.values()} == {"Ann", "Ben"}

        mark = len(wire.sent)
        workspace.status_filter.value = "resolved"
        await workspace._on_filter(None)
        rows = workspace.inbox.rows
        assert {rows[asked["Cat"]].name.value, rows[asked["Dan"]].name.value} == {"Cat", "Dan"}
        assert {row.control for row in rows.values()} == open_rows  # the same rows, other texts
        assert b"Dan's question" in wire.sent_since(mark)

        rows[asked["Dan"]].control.on_click(None)  # a click on the row that showed Ben before
        for _ in range(50):
            await asyncio.sleep(0.02)
            if workspace.c.selected_id is not None:
                break
        assert workspace.c.selected_id == asked["Dan"]
        assert workspace.header.title.value == "Dan"
        await workspace.leave()
        del wire

    asyncio.run(scenario())
