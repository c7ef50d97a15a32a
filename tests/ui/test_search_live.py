"""Search results stay on screen while customers write: a live refresh of the inbox that was
already reading when the agent searched must not put the inbox back over the results (at a
million messages the read takes long enough for this to happen: searches looked lost)."""

from __future__ import annotations

import asyncio
import threading

from helpdesk import events
from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from tests.ui.flet_wire import offline_workspace


def test_a_slow_live_refresh_does_not_wipe_search_results_shown_meanwhile(app, monkeypatch):
    services = app.services
    bea = services.agents.create("bea@shop.example", "Bea", "a long password", role="admin", actor=Actor.system())
    services.conversations.receive(IncomingMessage(body="My helmet strap broke", email="gia@example.com"))

    async def scenario() -> None:
        workspace, wire = await offline_workspace(app, bea)
        got = await app.db.run_write(services.conversations.receive, IncomingMessage(
            body="Where is my parcel?", email="hal@example.com"))
        # The inbox read of the live refresh below takes its time (a million messages).
        reading, release = threading.Event(), threading.Event()
        page = services.inbox.page

        def slow_page(*args, **kwargs):  # type: ignore[no-untyped-def]
            reading.set()
            release.wait(10)
            return page(*args, **kwargs)

        monkeypatch.setattr(services.inbox, "page", slow_page)
        refresh = asyncio.create_task(workspace._apply_events([
            events.Event(events.CONVERSATION_CREATED, got.conversation_id),
            events.Event(events.MESSAGE_CREATED, got.conversation_id)]))
        await asyncio.to_thread(reading.wait, 10)
        monkeypatch.setattr(services.inbox, "page", page)  # the search itself is quick
        workspace.search_field.value = "helmet"
        await workspace._on_search()
        assert workspace.view_title.value == "1 result for “helmet”"
        release.set()
        await refresh
        assert workspace.view_title.value == "1 result for “helmet”"  # the results are still what the list shows
        shown = [getattr(c, "key", None) for c in workspace.inbox.view.controls]
        assert not any(str(key).startswith("row-") for key in shown), shown
        await workspace.leave()
        del wire

    asyncio.run(scenario())
