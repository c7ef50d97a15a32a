"""Rich messages in a real Chromium. An agent requests a payment from the workspace; the customer's
page shows the card with the EPC069-12 QR code (decoded here) and Stripe's link once it was made;
Stripe's signed event marks it paid, and both sides show "Paid". A voice note from the fake
Telegram plays on the customer's page (the media element loads and its length is the file's),
and seeking asks for byte ranges (206). A bot's reply with choices shows buttons in the chat; the
visitor's tap reaches the bot through /api/v1/events as a message with `choice`."""

from __future__ import annotations

import io
import re
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from helpdesk.app import HelpdeskApp, ServerThread
from helpdesk.channels.stripe_checkout import StripeCheckout
from helpdesk.channels.texts import TextChannels
from helpdesk.clock import ManualClock
from helpdesk.config import Settings
from helpdesk.services.base import Actor
from helpdesk.services.conversations import ConversationFilter, IncomingMessage
from tests.browser import needs_chromium, open_app, shown, sign_in, type_into
from tests.channels.fakes import FakeTelegram
from tests.e2e.test_chat_visitor import chat, open_chat
from tests.fake_stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe
from tests.mailservers import wait_until

# The browser's side only: the services it drives run on PostgreSQL in tests/services and tests/api.
pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.sqlite_only]
MEDIA = Path(__file__).resolve().parent.parent / "media"


@pytest.fixture
def shop(tmp_path, new_database):
    clock = ManualClock(datetime.now(timezone.utc).replace(microsecond=0))
    app = HelpdeskApp(Settings(data_dir=tmp_path / "data", database_url=new_database(), host="127.0.0.1", port=0),
                      clock=clock).start()
    ann = app.services.agents.create("ann@shop.example", "Ann Agent", "ann-password", role="admin", actor=Actor.system())
    stripe = FakeStripe().on()
    with ServerThread(app) as server:
        yield {"app": app, "url": server.url, "clock": clock, "ann": Actor.for_agent(ann), "stripe": stripe}
    stripe.off()
    app.close()


def test_a_payment_is_requested_in_the_workspace_paid_through_stripe_and_shown_paid_to_both(shop, browser):
    services = shop["app"].services
    services.payments.ways.set_bank(shop["ann"], "Larsen Bikes", "DE89370400440532013000")
    services.payments.ways.set_stripe(shop["ann"], SECRET_KEY, WEBHOOK_SECRET, shop["stripe"].url)
    got = services.conversations.receive(IncomingMessage(body="What do I owe for the brakes?", email="gerda@example.com",
                                                         name="Gerda Gerber"))
    ctx = browser.new_context(viewport={"width": 1280, "height": 860})
    page = open_app(ctx, shop["url"])
    sign_in(page, "ann@shop.example", "ann-password")
    page.get_by_role("button").filter(has_text="Gerda Gerber").first.click()
    page.get_by_role("button", name="Payment or choices").click()
    page.get_by_role("menuitem", name="Request payment…").click()
    type_into(page, "Amount", "49.90")
    type_into(page, "What for", "Brake service")
    page.get_by_role("button", name="Send request").click()
    expect(shown(page, "Payment request sent: 49.90 EUR")).to_be_visible()
    expect(shown(page, "Waiting for payment")).to_be_visible()
    [card] = services.payments.of_conversation(got.conversation_id)
    assert (card.amount, card.currency, card.description) == ("49.90", "EUR", "Brake service")

    assert StripeCheckout(services).run_once() == ["ready"]  # the payments worker's round
    [session] = shop["stripe"].created
    customer = ctx.new_page()
    customer.goto(f"{shop['url']}/c/{got.public_token}")
    expect(customer.get_by_role("heading", name="Payment request: Brake service")).to_be_visible()
    card_link = customer.get_by_role("link", name="Pay by card")
    expect(card_link).to_have_attribute("href", f"/c/{got.public_token}/pay/{card.id}/card")
    leads = httpx.get(shop["url"] + card_link.get_attribute("href"))  # to Stripe's page, the current session
    assert leads.status_code == 303 and leads.headers["location"] == session["url"]
    qr = customer.get_by_role("img", name=re.compile("QR code for your banking app"))
    expect(qr).to_be_visible()
    assert customer.evaluate("document.querySelector('img.qr').naturalWidth") > 100  # it loaded, under the CSP
    png = customer.request.get(shop["url"] + qr.get_attribute("src")).body()
    payload = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))[0].text.split("\n")
    assert payload[5:8] == ["Larsen Bikes", "DE89370400440532013000", "EUR49.9"] and payload[9] == card.reference

    body, headers = FakeStripe.event(session, at=int(shop["clock"].now().timestamp()))
    paid = httpx.post(f"{shop['url']}/api/v1/payments/stripe", content=body, headers=headers)
    assert paid.status_code == 200 and paid.json()["outcome"] == "paid"
    expect(shown(page, "through Stripe")).to_be_visible()  # the workspace, live
    customer.reload()
    expect(customer.get_by_text(re.compile(r"^Paid \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}"))).to_be_visible()
    expect(customer.get_by_role("link", name="Pay by card")).to_have_count(0)
    ctx.close()


def test_a_telegram_voice_note_plays_on_the_customers_page_and_seeks_by_range(shop, browser):
    services = shop["app"].services
    telegram = FakeTelegram().on()
    services.messaging.channels.add("telegram", "Telegram", {"token": telegram.token, "api_url": telegram.url},
                                    shop["ann"])
    texts = TextChannels(services, send_interval=0.05).start()
    try:
        voice = (MEDIA / "voice.ogg").read_bytes()
        telegram.user_sends_file(4242, "Dana", "voice", voice, duration=3, mime_type="audio/ogg")
        found = wait_until(lambda: services.conversations.list(ConversationFilter()).conversations, what="the note")
    finally:
        texts.stop()
        telegram.off()
    token = found[0].public_token
    ctx = browser.new_context(viewport={"width": 800, "height": 900})
    page = ctx.new_page()
    page.goto(f"{shop['url']}/c/{token}")
    audio = page.locator("audio")
    expect(audio).to_have_count(1)
    page.wait_for_function("document.querySelector('audio').readyState >= 2", timeout=15_000)
    duration = page.evaluate("document.querySelector('audio').duration")
    assert abs(duration - 3.2) < 0.1, duration
    expect(page.get_by_text("(0:03, ")).to_be_visible()  # its length beside it, read from the file
    src = audio.get_attribute("src")
    ranged = httpx.get(shop["url"] + src, headers={"Range": "bytes=100-199"})
    assert ranged.status_code == 206 and ranged.content == voice[100:200]
    assert ranged.headers["content-range"] == f"bytes 100-199/{len(voice)}"
    assert ranged.headers["content-type"] == "audio/ogg"
    ctx.close()


def test_a_bots_choices_are_buttons_in_the_chat_and_a_tap_reaches_the_bot_as_a_choice(shop_site, browser):
    services = shop_site["app"].services
    bot = {"Authorization": "Bearer " + services.tokens.create("order bot", actor=Actor.system(),
                                                              scopes=["read", "reply"]).plaintext}
    api = shop_site["url"] + "/api/v1"
    start = httpx.get(f"{api}/events", headers=bot).json()["next"]
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    page.goto(shop_site["site"] + "/shop.html")
    open_chat(page)
    page.keyboard.type("Where is my order?")
    page.keyboard.press("Enter")
    arrived = httpx.get(f"{api}/events", params={"after": start, "wait": 10}, headers=bot).json()
    question = next(e["data"] for e in arrived["events"] if e["type"] == "message.received")
    answer = httpx.post(f"{api}/conversations/{question['conversation_id']}/replies", headers=bot, json={
        "body": "I can help with that.", "choices": ["Track my order", "Talk to a person"]})
    assert answer.status_code == 201, answer.text
    buttons = chat(page).get_by_role("group", name="Choose an answer")
    expect(buttons.get_by_role("button", name="Track my order")).to_be_visible()
    buttons.get_by_role("button", name="Talk to a person").click()
    expect(chat(page).get_by_role("group", name="Choose an answer")).to_have_count(0)  # answered
    after = arrived["next"]
    for _ in range(20):
        news = httpx.get(f"{api}/events", params={"after": after, "wait": 5}, headers=bot).json()
        tapped = [e["data"] for e in news["events"] if e["type"] == "message.received"]
        if tapped:
            break
        after = news["next"]
    assert tapped[0]["choice"] == "Talk to a person" and tapped[0]["body"] == "Talk to a person"
    ctx.close()


def test_an_agent_offers_choices_from_the_workspace_and_the_customer_taps_one_on_their_page(shop, browser):
    services = shop["app"].services
    got = services.conversations.receive(IncomingMessage(body="When can I pick up my bike?", email="olaf@example.com",
                                                         name="Olaf Olsen"))
    ctx = browser.new_context(viewport={"width": 1280, "height": 860})
    page = open_app(ctx, shop["url"])
    sign_in(page, "ann@shop.example", "ann-password")
    page.get_by_role("button").filter(has_text="Olaf Olsen").first.click()
    type_into(page, "Reply", "It is ready. When suits you?")
    page.get_by_role("button", name="Payment or choices").click()
    page.get_by_role("menuitem", name="Add choices the customer can tap…").click()
    type_into(page, "One answer per line", "Today")
    page.keyboard.press("Enter")
    page.keyboard.type("Tomorrow")
    page.get_by_role("button", name="Use these").click()
    expect(shown(page, "Remove choices")).to_be_visible()
    page.get_by_role("button", name="Send and set pending").click()
    expect(shown(page, "Sent; waiting on the customer")).to_be_visible()
    expect(shown(page, "2. Tomorrow")).to_be_visible()  # the choices under the reply in the thread
    [reply] = [m for m in services.conversations.get(got.conversation_id).messages if m.direction == "out"
               and m.kind == "reply"]
    assert reply.meta["choices"] == ["Today", "Tomorrow"]

    customer = ctx.new_page()
    customer.goto(f"{shop['url']}/c/{got.public_token}")
    customer.get_by_role("form", name="Choose an answer").get_by_role("button", name="Tomorrow").click()
    expect(customer.locator(".msg.in").last).to_contain_text("Tomorrow")
    expect(customer.get_by_role("form", name="Choose an answer")).to_have_count(0)  # answered
    answer = services.conversations.get(got.conversation_id).messages[-1]
    assert answer.direction == "in" and answer.meta["choice"] == "Tomorrow"
    ctx.close()
