"""The open conversation when a customer writes in it: the new message goes out to the
browser, and what the agent set up in the reply box (the channel they picked) stays."""

from __future__ import annotations

import asyncio

from helpdesk import events
from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from tests.ui.flet_wire import offline_workspace


def test_a_new_message_in_the_open_conversation_keeps_the_channel_the_agent_picked(app, monkeypatch):
    services = app.services
    # This customer can be answered on their page or by SMS (the channels themselves are tested elsewhere).
    monkeypatch.setattr(services.conversations, "reply_options", lambda conversation_id: ["web", "sms"])
    bea = services.agents.create("bea@shop.example", "Bea", "a long password", role="admin", actor=Actor.system())
    first = services.conversations.receive(IncomingMessage(body="Where is order 1234?", email="gia@example.com"))

    async def scenario() -> None:
        workspace, wire = await offline_workspace(app, bea)
        await workspace.open(first.conversation_id)
        workspace.composer._chose("sms")
        mark = len(wire.sent)
        got = await app.db.run_write(services.conversations.receive, IncomingMessage(
            body="Any news on 1234? It is a birthday present", email="gia@example.com",
            conversation_id=first.conversation_id))
        await workspace._apply_events([events.Event(events.MESSAGE_CREATED, got.conversation_id),
                                       events.Event(events.CONVERSATION_UPDATED, got.conversation_id)])
        assert b"It is a birthday present" in wire.sent_since(mark)  # the new message reached the browser
        assert workspace.composer._via == "sms"  # and the reply still goes by SMS, as picked
        assert workspace.composer.via_label.value == "Reply by SMS"
        await workspace.leave()
        del wire

    asyncio.run(scenario())


def test_a_live_refresh_sends_the_new_row_and_then_the_new_counts(app):
    services = app.services
    bea = services.agents.create("bea@shop.example", "Bea", "a long password", role="admin", actor=Actor.system())
    services.conversations.receive(IncomingMessage(body="Where is order 1234?", email="gia@example.com"))

    async def scenario() -> None:
        workspace, wire = await offline_workspace(app, bea)
        assert b"Unassigned 1" in wire.sent_since(0)
        workspace._update_page()  # the tab title was just sent: the next refreshes update only their parts
        mark = len(wire.sent)
        got = await app.db.run_write(services.conversations.receive, IncomingMessage(
            body="My kettle arrived broken", email="hal@example.com"))
        await workspace._apply_events([events.Event(events.CONVERSATION_CREATED, got.conversation_id),
                                       events.Event(events.MESSAGE_CREATED, got.conversation_id)])
        assert b"My kettle arrived broken" in wire.sent_since(mark)  # the row, at once
        mark = len(wire.sent)
        await workspace._show_counts()  # the counts follow beside the rows
        sent = wire.sent_since(mark)
        assert b"Unassigned 2" in sent and b"(2)" in sent  # the view's label and the list's title
        await workspace.leave()
        del wire

    asyncio.run(scenario())
