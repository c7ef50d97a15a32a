"""Search in the real UI: Enter shows every hit (the ones below the screen follow on their own),
a hit opens its conversation, and Close search, over the list however far it is scrolled, brings
the inbox back."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from helpdesk.app import HelpdeskApp, ServerThread
from helpdesk.config import Settings
from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from tests.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium, open_app, shown, sign_in, type_into

pytestmark = [pytest.mark.browser, needs_chromium]
RIDERS = 20  # more hits than fit on an 800 px screen


@pytest.fixture
def shop(tmp_path, new_database):
    app = HelpdeskApp(Settings(data_dir=tmp_path / "data", database_url=new_database(), host="127.0.0.1",
                               port=0)).start()
    app.services.agents.create("ann@shop.example", "Ann Agent", "ann-password", role="admin", actor=Actor.system())
    for n in range(RIDERS):
        app.services.conversations.receive(IncomingMessage(
            body=f"The helmet I bought (order {n:02d}) has a cracked visor", email=f"rider{n}@example.com",
            name=f"Rider {n:02d}"))
    app.services.conversations.receive(IncomingMessage(body="Where is my parcel?", email="pia@example.com"))
    with ServerThread(app) as server:
        yield server.url
    app.close()


def test_search_shows_every_hit_opens_one_and_closes_back_to_the_inbox(shop):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = open_app(browser.new_context(viewport={"width": 1280, "height": 800}), shop)
        sign_in(page, "ann@shop.example", "ann-password")
        expect(shown(page, "First reply due")).to_be_visible()  # the inbox's rows
        type_into(page, "Search", "helmet")
        page.keyboard.press("Enter")
        expect(shown(page, f"{RIDERS} results for “helmet”")).to_be_visible()
        expect(shown(page, "Rider 19")).to_be_visible()  # the newest first
        # The oldest is the last hit, below the screen: it is there once the list is scrolled.
        oldest = page.locator("flt-semantics[role=button]").filter(has_text="Rider 00").first
        for _ in range(20):
            if oldest.count():
                break
            page.mouse.move(300, 500)
            page.mouse.wheel(0, 600)
            page.wait_for_timeout(200)
        expect(oldest).to_be_visible()
        oldest.click()
        expect(shown(page, "order 00")).to_be_visible()  # its conversation, open
        page.get_by_role("button", name="Close search").click()  # over the list: in reach while scrolled
        expect(shown(page, "First reply due")).to_be_visible()  # the inbox again
        expect(shown(page, "results for")).to_have_count(0)
        browser.close()
