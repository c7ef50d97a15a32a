"""Settings → Channels → Add: the dialog offers each kind's settings from its module
(services/channel_kinds/), secrets typed as passwords, and Save adds the channel as typed."""

from __future__ import annotations

import asyncio

import flet as ft

from helpdesk.services.channel_kinds import REGISTRY
from helpdesk.ui.context import UiContext
from helpdesk.ui.settings.channels import ChannelsSection
from tests.ui.flet_wire import offline_page


def test_every_kind_gets_its_own_fields_and_secrets_are_hidden():
    for kind in REGISTRY.values():
        fields, explanation = ChannelsSection._form(kind.name)
        shown = [s for s in kind.settings if s.label]
        assert list(fields) == ["name", *[s.name for s in shown]] and explanation == kind.form_help
        for setting in shown:
            assert fields[setting.name].label == setting.label
            assert bool(fields[setting.name].password) == setting.secret


def test_adding_a_website_chat_and_a_telegram_bot_from_the_dialog(app, ann):
    async def add(kind: str, typed: dict[str, str]) -> None:
        page, _wire = offline_page()

        async def navigate(_where: str) -> None: ...

        async def rerender() -> None: ...

        ctx = UiContext(page, app.services, app.settings, app.services.agents.get(ann.id), "test", navigate)
        await ChannelsSection(ctx, rerender)._add(kind)
        dialog = page._dialogs.controls[-1]
        form = {c.label: c for c in dialog.content.controls if isinstance(c, ft.TextField)}
        for label, value in typed.items():
            form[label].value = value
        save = next(b for b in dialog.actions if isinstance(b, ft.FilledButton))
        await save.on_click(None)

    asyncio.run(add("website", {"Name (e.g. Phone)": "Shop site",
                                "Your site's address (several: one per line)": "https://bikes.example\nhttps://Shop.example"}))
    asyncio.run(add("telegram", {"Name (e.g. Phone)": "Bot", "Bot token": "123456:ABC-def"}))
    site, bot = sorted(app.services.messaging.channels.all(), key=lambda c: c.kind, reverse=True)
    assert (site.kind, site.name, site.config["origins"]) == ("website", "Shop site",
                                                               ["https://bikes.example", "https://shop.example"])
    assert (bot.kind, bot.name) == ("telegram", "Bot")
    assert app.services.messaging.channels.secrets_of(bot) == {"token": "123456:ABC-def"}
