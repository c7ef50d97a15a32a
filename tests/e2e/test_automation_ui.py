"""Automation in the real UI: an admin builds a rule in Settings → Automation and turns on a
ready-made one; messages posted over HTTP to the running server are acted on by them."""

from __future__ import annotations

import os
import time

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from helpdesk.app import HelpdeskApp, ServerThread
from helpdesk.config import Settings
from helpdesk.services.base import Actor
from tests.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium, open_app, shown, sign_in, type_into

# The browser's side only: the services it drives run on PostgreSQL in tests/services and tests/api.
pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.sqlite_only]
SHOTS = os.environ.get("HELPDESK_SCREENSHOTS")  # a folder: keep what the test saw


@pytest.fixture
def shop(tmp_path, new_database):
    app = HelpdeskApp(Settings(data_dir=tmp_path / "data", database_url=new_database(), host="127.0.0.1",
                               port=0)).start()
    app.services.agents.create("ann@shop.example", "Ann Agent", "ann-password", role="admin", actor=Actor.system())
    token = app.services.tokens.create("browser tests", actor=Actor.system()).plaintext
    app.start_jobs()  # the automation worker
    with ServerThread(app) as server:
        yield {"app": app, "url": server.url, "auth": {"Authorization": f"Bearer {token}"}}
    app.close()


def post(shop, body: str, email: str, name: str) -> int:
    response = httpx.post(shop["url"] + "/api/v1/messages", headers=shop["auth"], json={
        "customer": {"email": email, "name": name}, "body": body})
    assert response.status_code == 201, response.text
    return response.json()["conversation_id"]


def wait_for(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (found := check()):
            return found
        time.sleep(0.1)
    raise AssertionError("the rules did not act in time")


def test_a_rule_made_in_the_ui_acts_on_the_next_message(shop):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = open_app(browser.new_context(viewport={"width": 1400, "height": 900}), shop["url"])
        sign_in(page, "ann@shop.example", "ann-password")
        page.get_by_role("button", name="Account").or_(page.get_by_role("button", name="Ann")).first.click()
        page.get_by_role("menuitem", name="Settings").click()
        page.get_by_role("button", name="Automation").first.click()
        expect(shown(page, "Auto-acknowledge")).to_be_visible()
        page.get_by_role("button", name="New rule").click()
        type_into(page, "Name", "Refund desk")
        page.get_by_role("button", name="Add a condition").click()
        type_into(page, "Value", "refund")
        type_into(page, "Tags, comma separated", "refunds")
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "rule-editor.png"))
        page.get_by_role("button", name="Save rule").click()
        expect(shown(page, "Rule saved: it is on")).to_be_visible()
        expect(shown(page, "When a conversation is created, if message text contains refund: add tags refunds")) \
            .to_be_visible()
        page.get_by_role("switch", name="Auto-acknowledge").click()
        expect(shown(page, "Auto-acknowledge is on")).to_be_visible()
        services = shop["app"].services
        refund = post(shop, "I would like a refund for order 1042", "rosa@example.com", "Rosa Refund")
        other = post(shop, "When do you open?", "otto@example.com", "Otto Opening")
        wait_for(lambda: services.conversations.get(refund).tags == ["refunds"])
        wait_for(lambda: any(m.meta and m.meta.get("automatic") for m in services.conversations.get(other).messages))
        assert services.conversations.get(other).tags == []
        page.get_by_role("button", name="Automation").first.click()  # the section again, with what the rules did
        expect(shown(page, "tagged refunds")).to_be_visible()
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "settings-automation.png"))
        page.get_by_role("button", name="Back").or_(page.get_by_role("button", name="Back to the inbox")).first.click()
        page.get_by_text("Rosa Refund").first.click()
        expect(shown(page, "Rule 'Auto-acknowledge' replied")).to_be_visible()
        expect(shown(page, "Rule 'Refund desk' tagged refunds")).to_be_visible()
        reply = next(m for m in services.conversations.get(refund).messages if m.meta and m.meta.get("automatic"))
        assert reply.body.startswith("Thanks, we've got your message.")  # the thread's text is not in the a11y tree
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "conversation-automatic-reply.png"))
        browser.close()
