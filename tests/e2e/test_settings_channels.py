"""Settings → Channels as an owner uses it in the browser: "Add a channel" opens its menu (a
button inside the menu once swallowed the click, so it never did), the kind's form comes from
its module, and the saved channel shows as a card."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk.app import HelpdeskApp, ServerThread
from helpdesk.config import Settings
from helpdesk.services.base import Actor
from tests.browser import needs_chromium, open_app, shown, sign_in, type_into

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.sqlite_only]


def test_an_owner_adds_the_website_chat_from_settings(tmp_path: Path, browser) -> None:  # type: ignore[no-untyped-def]
    app = HelpdeskApp(Settings(data_dir=tmp_path / "data", host="127.0.0.1", port=0)).start()
    app.services.agents.create("ann@shop.example", "Ann Agent", "ann-password", role="admin", actor=Actor.system())
    try:
        with ServerThread(app) as server:
            page = open_app(browser.new_context(viewport={"width": 1280, "height": 800}), server.url)
            sign_in(page, "ann@shop.example", "ann-password")
            shown(page, "Unassigned").wait_for()
            page.get_by_role("button", name="Account").first.click()
            page.get_by_role("menuitem", name="Settings").click()
            page.get_by_text("Channels").first.click()
            page.get_by_role("button", name="Add a channel").first.click()
            page.get_by_role("menuitem", name="Website chat").click()
            shown(page, "Add a Website chat").wait_for()
            type_into(page, "Name (e.g. Phone)", "Shop site")
            type_into(page, "Your site's address (several: one per line)", "https://bikes.example")
            page.get_by_role("button", name="Save").click()
            shown(page, "Shop site · Website chat").wait_for()
            [channel] = app.services.messaging.channels.all()
            assert (channel.kind, channel.name, channel.config["origins"]) == ("website", "Shop site",
                                                                               ["https://bikes.example"])
    finally:
        app.close()
