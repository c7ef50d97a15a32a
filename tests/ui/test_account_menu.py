"""The account menu's availability on an offline page: an agent sets themselves away and asks
for mentions by mail; each item then says where they stand."""

from __future__ import annotations

import asyncio

import flet as ft

from helpdesk.ui.account import availability_items
from helpdesk.ui.context import UiContext
from tests.ui.flet_wire import offline_page


def test_away_and_mentions_by_mail_from_the_account_menu(app, bob):
    services = app.services

    async def scenario() -> None:
        page, _wire = offline_page()

        async def navigate(_where: str) -> None: ...

        ctx = UiContext(page, services, app.settings, services.agents.get(bob.agent_id), "test", navigate)
        away, mail = availability_items(ctx)
        assert (away.content, mail.content) == ("Available · set me away", "Mail me mentions while I'm away: off")
        mail.on_click(None)  # runs as a task of the page
        for _ in range(200):
            if mail.content.endswith("on"):
                break
            await asyncio.sleep(0.01)
        assert services.agents.get(bob.agent_id).mention_mail is True
        assert mail.content == "Mail me mentions while I'm away: on"
        notes = [d.content.value for d in page._dialogs.controls if isinstance(d, ft.SnackBar)]
        assert notes[-1] == "A mention that finds you away comes to bob@shop.example too"
        away.on_click(None)
        for _ in range(200):
            if away.content.startswith("Away"):
                break
            await asyncio.sleep(0.01)
        assert services.agents.get(bob.agent_id).away is True and away.content == "Away · set me available"

    asyncio.run(scenario())
