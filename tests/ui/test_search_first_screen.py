"""A search answers Enter with the hits that fit on screen; the rest follow on their own, unless
the agent has moved on (closed the search or searched again) by then."""

from __future__ import annotations

import asyncio

from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from helpdesk.ui.workspace.inbox_list import first_screen
from tests.ui.flet_wire import offline_workspace, within


def hit_names(workspace) -> list[str]:  # type: ignore[no-untyped-def]
    """The customer names of the hits the list shows."""
    names = []
    for control in workspace.inbox.view.controls:
        column = getattr(control, "content", None)
        if isinstance(getattr(column, "controls", None), list):
            names.append(column.controls[0].controls[0].value)
    return names


def test_search_answers_with_the_hits_on_screen_and_the_rest_follow(app):
    services = app.services
    bea = services.agents.create("bea@shop.example", "Bea", "a long password", role="admin", actor=Actor.system())
    for n in range(25):
        services.conversations.receive(IncomingMessage(body=f"My helmet number {n} is cracked",
                                                       email=f"c{n}@example.com", name=f"Rider {n:02d}"))
    services.conversations.receive(IncomingMessage(body="Brake cable snapped", email="gia@example.com", name="Gia"))

    async def scenario() -> None:
        workspace, wire = await offline_workspace(app, bea)  # 800 px high
        first = first_screen(800)
        workspace.search_field.value = "helmet"
        mark = len(wire.sent)
        await workspace._on_search()
        answer = wire.sent_since(mark)
        assert workspace.view_title.value == "25 results for “helmet”"  # the count is all of them
        assert workspace.view_title.value.encode() in answer and workspace.close_search_button.visible
        shown = hit_names(workspace)
        assert len(shown) == first < 25
        assert shown[0].encode() in answer
        assert await within(1.0, lambda: len(hit_names(workspace)) == 25)  # the rest, below the screen, on their own
        everything = hit_names(workspace)
        assert everything[:first] == shown and len(set(everything)) == 25
        assert everything[-1].encode() in wire.sent_since(mark)

        # Searched again before the rest came: the first search's rest never lands on the second's.
        workspace.search_field.value = "helmet"
        await workspace._on_search()
        workspace.search_field.value = "brake"
        await workspace._on_search()
        await asyncio.sleep(0.3)
        assert hit_names(workspace) == ["Gia"]

        await workspace.clear_search()  # the inbox, its title and filters back; no button to close
        assert workspace.view_title.value.startswith("All") and workspace.filters.visible
        assert not workspace.close_search_button.visible
        await workspace.leave()
        del wire

    asyncio.run(scenario())
