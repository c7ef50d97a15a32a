"""The command palette in a real Chromium, keyboard only: Ctrl+K, a customer's name, Enter opens
their conversation; Ctrl+K, "macro ready", Enter runs the macro on it; Ctrl+K, "view mine",
Enter switches the view."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from helpdesk.app import HelpdeskApp, ServerThread
from helpdesk.config import Settings
from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from tests.browser import needs_chromium, open_app, shown, sign_in

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.sqlite_only]


@pytest.fixture
def shop(tmp_path):
    app = HelpdeskApp(Settings(data_dir=tmp_path / "data", host="127.0.0.1", port=0)).start()
    services = app.services
    ann = Actor.for_agent(services.agents.create("ann@shop.example", "Ann Owner", "ann-password", role="admin",
                                                 actor=Actor.system()))
    services.macros.create("Ready for pick-up", [{"type": "reply", "body": "Hi {{customer.first_name}}, it is ready!"},
                                                 {"type": "status", "value": "resolved"}], ann)
    for email, name, body in (("gia@example.com", "Gia Rossi", "Is my bike done yet?"),
                              ("hal@example.com", "Hal Berg", "Can you true my wheel?")):
        services.conversations.receive(IncomingMessage(body=body, email=email, name=name))
    with ServerThread(app) as server:
        yield {"app": app, "url": server.url}
    app.close()


def palette(page, typed: str) -> None:
    page.keyboard.press("Control+k")
    field = page.get_by_role("textbox", name="Type a command, a customer or #number")
    expect(field).to_be_visible()
    time.sleep(0.3)  # let Flutter put the focus in the field before the keys arrive
    field.press_sequentially(typed)


def test_an_agent_finds_a_customer_runs_a_macro_and_switches_view_from_the_keyboard(shop, browser):
    page = open_app(browser.new_context(viewport={"width": 1280, "height": 800}), shop["url"])
    sign_in(page, "ann@shop.example", "ann-password")
    expect(shown(page, "Unassigned 2")).to_be_visible()

    palette(page, "hal berg")
    expect(shown(page, "Open #2 · Hal Berg")).to_be_visible()
    page.keyboard.press("Enter")
    expect(shown(page, "#2 · No subject · via api")).to_be_visible()  # the header: it is open (the row says the rest)

    palette(page, "macro ready")
    expect(shown(page, "Run macro: Ready for pick-up")).to_be_visible()
    page.keyboard.press("Enter")
    expect(shown(page, "Hi Hal, it is ready!")).to_be_visible()
    expect(shown(page, "Macro 'Ready for pick-up' by Ann Owner")).to_be_visible()
    assert shop["app"].services.conversations.get_row(2).status == "resolved"

    palette(page, "view mine")
    page.keyboard.press("Enter")
    expect(shown(page, "Mine · open (0)")).to_be_visible()
