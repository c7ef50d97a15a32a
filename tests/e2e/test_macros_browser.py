"""A macro in a real Chromium: the owner makes "Bike ready for pick-up" in Settings (the canned
reply, a tag, resolve); at the reply box one click on it sends the reply with the customer's
name filled in, tags and resolves the conversation, and the thread says which macro did it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from helpdesk.app import HelpdeskApp, ServerThread
from helpdesk.config import Settings
from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from tests.browser import needs_chromium, open_app, open_settings, shown, sign_in, type_into

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.sqlite_only]


@pytest.fixture
def shop(tmp_path):
    app = HelpdeskApp(Settings(data_dir=tmp_path / "data", host="127.0.0.1", port=0)).start()
    services = app.services
    ann = services.agents.create("ann@shop.example", "Ann Owner", "ann-password", role="admin", actor=Actor.system())
    services.canned.create("Ready for pick-up", "Hi {{customer.first_name}}, your bike is ready: come by any time "
                                                "before six.", Actor.for_agent(ann))
    cid = services.conversations.receive(IncomingMessage(body="Is my bike done yet?", email="gia@example.com",
                                                         name="Gia Rossi")).conversation_id
    with ServerThread(app) as server:
        yield {"app": app, "url": server.url, "conversation": cid}
    app.close()


def test_a_macro_made_in_settings_replies_tags_and_resolves_in_one_click(shop, browser):
    services = shop["app"].services
    page = open_app(browser.new_context(viewport={"width": 1280, "height": 800}), shop["url"])
    sign_in(page, "ann@shop.example", "ann-password")
    shown(page, "Unassigned").wait_for()
    open_settings(page, "Macros")
    page.get_by_role("button", name="New macro").click()
    type_into(page, "Name", "Bike ready for pick-up")
    page.get_by_role("button", name="Canned reply", exact=True).click()
    page.get_by_role("button", name="Ready for pick-up", exact=True).last.click()
    type_into(page, "Add tags (comma between)", "pick-up")
    page.get_by_role("button", name="Then", exact=True).click()
    page.get_by_role("button", name="Resolve", exact=True).last.click()
    page.get_by_role("button", name="Save").click()
    expect(shown(page, "reply “Ready for pick-up”, tag pick-up, set resolved")).to_be_visible()

    page.get_by_role("button", name="Back to the inbox").first.click()
    page.get_by_text("Gia Rossi").first.click()
    expect(shown(page, "Is my bike done yet?")).to_be_visible()
    page.get_by_role("button", name="Run a macro").click()
    page.get_by_role("menuitem", name="Bike ready for pick-up · reply “Ready for pick-up”, tag pick-up, set "
                                      "resolved").click()
    expect(shown(page, "Macro 'Bike ready for pick-up' by Ann Owner")).to_be_visible()
    expect(shown(page, "Hi Gia, your bike is ready: come by any time before six.")).to_be_visible()
    expect(shown(page, "Resolved by Ann Owner")).to_be_visible()
    detail = services.conversations.get(shop["conversation"])
    assert (detail.conversation.status, detail.tags) == ("resolved", ["pick-up"])
