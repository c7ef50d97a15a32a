"""A change of view or filters shows other conversations in the rows already on screen
(texts change in place: fewer controls to build, send and lay out), and each row then
opens the conversation it shows."""

from __future__ import annotations

import asyncio

from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from helpdesk.ui.workspace.inbox_list import first_screen
from helpdesk.ui.workspace.shell import VIEW_LABELS
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


def test_another_view_answers_with_the_rows_that_fit_on_screen_and_the_rest_follows(app):
    services = app.services
    bea = services.agents.create("bea@shop.example", "Bea", "a long password", role="admin", actor=Actor.system())
    for n in range(30):
        services.conversations.receive(IncomingMessage(body=f"Question {n:02d}", email=f"c{n}@example.com",
                                                       name=f"Customer {n:02d}"))

    async def scenario() -> None:
        workspace, wire = await offline_workspace(app, bea)  # 800 px high: 13 rows fit
        workspace.rail.selected_index = list(VIEW_LABELS).index("mine")
        await workspace._change_view()
        assert workspace.view_title.value.startswith("Mine")
        mark = len(wire.sent)
        workspace.rail.selected_index = list(VIEW_LABELS).index("unassigned")
        await workspace._change_view()
        first = first_screen(800)
        assert len(workspace.inbox.view.controls) == first < 30
        answer = wire.sent_since(mark)
        top, last = workspace.c.rows[0].preview.encode(), workspace.c.rows[-1].preview.encode()
        assert top in answer and last not in answer  # the rows on screen; the last one not yet
        for _ in range(50):  # the rest follows on its own
            await asyncio.sleep(0.01)
            if len(workspace.inbox.view.controls) == 30:
                break
        assert [workspace.inbox.rows[r.id].name.value for r in workspace.c.rows] == \
            [r.customer_name for r in workspace.c.rows]
        assert [id(c) for c in workspace.inbox.view.controls] == \
            [id(workspace.inbox.rows[r.id].control) for r in workspace.c.rows]  # by identity: == compares fields
        assert last in wire.sent_since(mark)
        await workspace.leave()
        del wire

    asyncio.run(scenario())
