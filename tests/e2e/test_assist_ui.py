"""Assist in the real UI: the similar solved conversation beside a new one, its reply put into
the reply box with one click and sent; a draft from a (fake) language model streamed into the box."""

from __future__ import annotations

import os
import time

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from helpdesk.app import HelpdeskApp, ServerThread
from helpdesk.config import Settings
from helpdesk.models import RESOLVED
from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from tests.browser import CHROMIUM, CHROMIUM_ARGS, input_values, needs_chromium, open_app, shown, sign_in
from tests.fake_llm import FakeModel

# The browser's side only: the services it drives run on PostgreSQL in tests/services and tests/api.
pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.sqlite_only]
SHOTS = os.environ.get("HELPDESK_SCREENSHOTS")
SOLVED = "The courier lost it: we have sent a replacement with a new tracking number."


@pytest.fixture
def shop(tmp_path, new_database):
    app = HelpdeskApp(Settings(data_dir=tmp_path / "data", database_url=new_database(), host="127.0.0.1",
                               port=0)).start()
    agent = app.services.agents.create("ann@shop.example", "Ann Agent", "ann-password", role="admin",
                                       actor=Actor.system())
    past = app.services.conversations.receive(IncomingMessage(
        body="My parcel never arrived and the tracking shows nothing.", email="old@example.com", name="Olga Old",
        subject="Parcel missing")).conversation_id
    app.services.conversations.reply(past, Actor.for_agent(agent), SOLVED, then=RESOLVED)
    token = app.services.tokens.create("browser tests", actor=Actor.system()).plaintext
    with ServerThread(app) as server, FakeModel() as llm:
        yield {"app": app, "url": server.url, "auth": {"Authorization": f"Bearer {token}"}, "agent": agent,
               "llm": llm}
    app.close()


def wait_for_input(page, text: str, timeout: float = 10.0) -> None:
    page.get_by_role("textbox", name="Reply").click()  # Flutter puts a field's text in the page only while focused
    deadline = time.monotonic() + timeout
    while not any(text in value for value in input_values(page)):
        assert time.monotonic() < deadline, f"{text!r} never reached the reply box: {input_values(page)}"
        time.sleep(0.1)


def test_a_suggested_reply_goes_into_the_reply_box_and_is_sent(shop):
    created = httpx.post(shop["url"] + "/api/v1/messages", headers=shop["auth"], json={
        "customer": {"email": "nina@example.com", "name": "Nina New"},
        "body": "Hello, my parcel has not arrived yet and tracking says nothing."}).json()
    services = shop["app"].services
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = open_app(browser.new_context(viewport={"width": 1400, "height": 900}), shop["url"])
        sign_in(page, "ann@shop.example", "ann-password")
        page.get_by_text("Nina New").first.click()
        expect(shown(page, "Solved before")).to_be_visible()
        expect(shown(page, "Parcel missing")).to_be_visible()
        page.get_by_role("button", name="Use this reply").first.click()
        wait_for_input(page, SOLVED)
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "assist-similar.png"))
        page.get_by_role("button", name="Send and set pending").click()
        expect(shown(page, "Sent; waiting on the customer")).to_be_visible()
        sent = [m.body for m in services.conversations.get(created["conversation_id"]).messages
                if m.direction == "out" and m.kind == "reply"]
        assert sent == [SOLVED]

        # With a model set up, "Draft reply" streams its suggestion into the reply box.
        services.assist.configure(Actor.for_agent(shop["agent"]), enabled=True, base_url=shop["llm"].url,
                                  model="llama3.1:8b")
        shop["llm"].piece_delay = 0.02
        again = httpx.post(shop["url"] + "/api/v1/messages", headers=shop["auth"], json={
            "customer": {"email": "omar@example.com", "name": "Omar Other"},
            "body": "Where is my parcel? Tracking shows nothing."}).json()
        page.get_by_text("Omar Other").first.click()
        expect(page.get_by_role("button", name="Draft reply")).to_be_visible()
        page.get_by_role("button", name="Draft reply").click()
        wait_for_input(page, shop["llm"].reply)
        expect(shown(page, "Suggested by llama3.1:8b: check it before sending")).to_be_visible()
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "assist-draft.png"))
        assert all(m.direction == "in" for m in services.conversations.get(again["conversation_id"]).messages
                   if m.kind == "reply")  # a draft is never sent by itself
        assert SOLVED in shop["llm"].sent_text()  # the model saw the past answer
        browser.close()
