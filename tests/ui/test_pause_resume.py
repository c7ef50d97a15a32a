"""A browser that goes away and comes back to the same session (a reload, a dropped network):
while away the workspace draws nothing and keeps the draft; back, it shows what came meanwhile
and is live again. Before, a reloaded tab showed the inbox as it was and never changed again."""

from __future__ import annotations

import asyncio

from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from helpdesk.ui.workspace import pacing
from tests.ui.flet_wire import customer_writes, listed_within, offline_workspace


def test_away_nothing_is_drawn_and_the_draft_is_kept_back_what_came_is_shown_and_live_again(app, monkeypatch):
    monkeypatch.setattr(pacing, "MIN_REFRESH_INTERVAL", 0.01)
    services = app.services
    bea = services.agents.create("bea@shop.example", "Bea", "a long password", role="admin", actor=Actor.system())
    viewed = services.conversations.receive(IncomingMessage(body="My helmet strap broke", email="gia@example.com"))

    async def scenario() -> None:
        workspace, wire = await offline_workspace(app, bea)
        await workspace.open(viewed.conversation_id)
        workspace.composer.field.value = "Half-written: a new strap is"
        workspace.composer.typed()  # as a keystroke does; its save waits for a pause in typing
        assert services.presence.others(viewed.conversation_id, 0) == [("Bea", True)]

        await workspace.pause()
        assert services.drafts.get(bea.id, viewed.conversation_id).body == "Half-written: a new strap is"
        assert services.presence.others(viewed.conversation_id, 0) == []  # colleagues no longer see her there
        sent = len(wire.sent)
        while_away = await customer_writes(app, workspace, "hal@example.com")
        assert not await listed_within(workspace, while_away, 0.3)
        assert len(wire.sent) == sent  # nothing drawn for a browser that is not there

        await workspace.resume()
        assert while_away in workspace.inbox.rows
        assert len(wire.sent) > sent
        assert [name for name, _typing in services.presence.others(viewed.conversation_id, 0)] == ["Bea"]
        after = await customer_writes(app, workspace, "ivy@example.com")
        assert await listed_within(workspace, after, 5), "back, but no longer live"
        await workspace.leave()
        del wire

    asyncio.run(scenario())
