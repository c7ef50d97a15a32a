"""A live refresh sends only what over the rows it changed (the rail's counts, the list's title,
the filters), so each part it leaves out must really be unchanged: after every refresh below,
updating all of them sends nothing more. A new tag reaches the Tag filter; after a search the
filters come back."""

from __future__ import annotations

import asyncio

from helpdesk import events
from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from tests.ui.flet_wire import offline_workspace


def test_a_live_refresh_leaves_nothing_over_the_list_unsent(app):
    services = app.services
    bea = services.agents.create("bea@shop.example", "Bea", "a long password", role="admin", actor=Actor.system())
    first = services.conversations.receive(IncomingMessage(body="My helmet strap broke", email="gia@example.com"))
    services.conversations.receive(IncomingMessage(body="Where is my parcel?", email="hal@example.com"))

    async def scenario() -> None:
        workspace, wire = await offline_workspace(app, bea)

        def nothing_left_unsent() -> bool:
            mark = len(wire.sent)
            workspace.page.update(workspace.rail, workspace.view_title, workspace.filters,
                                  workspace.close_search_button)
            return len(wire.sent) == mark

        async def customer_writes(email: str, body: str) -> None:
            got = await app.db.run_write(services.conversations.receive, IncomingMessage(body=body, email=email))
            await workspace._apply_events([events.Event(events.MESSAGE_CREATED, got.conversation_id),
                                           events.Event(events.CONVERSATION_UPDATED, got.conversation_id)])
            await workspace._show_counts()

        await customer_writes("gia@example.com", "Any news about it?")  # the same rows, one changed
        assert workspace.inbox.rows[first.conversation_id].preview.value == "Any news about it?"
        assert nothing_left_unsent()

        await customer_writes("ida@example.com", "Do you fit tubeless tyres?")  # a new row, counts go up
        assert "(3)" in workspace.view_title.value
        assert nothing_left_unsent()

        await app.db.run_write(services.conversations.add_tag, first.conversation_id, "warranty", Actor.system())
        workspace.c._tags_read_at = float("-inf")  # the tag choices are due again
        await customer_writes("gia@example.com", "It is still under warranty")
        assert [o.key for o in workspace.tag_filter.options] == ["", "warranty"]
        assert nothing_left_unsent()

        workspace.search_field.value = "helmet"
        await workspace._on_search()
        assert not workspace.filters.visible
        await workspace.clear_search()
        assert workspace.filters.visible and not workspace.close_search_button.visible
        assert nothing_left_unsent()
        await customer_writes("hal@example.com", "Hello?")
        assert nothing_left_unsent()
        await workspace.leave()

    asyncio.run(scenario())
