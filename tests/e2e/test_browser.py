"""The agent workspace in a real Chromium against a real server on loopback."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from helpdesk.app import HelpdeskApp, ServerThread
from helpdesk.config import Settings
from helpdesk.services.base import Actor
from tests.browser import (accessible, input_values, needs_chromium, open_app, shown,
                           sign_in, type_into)

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture
def shop(tmp_path, new_database):
    """A running Helpdesk with two agents and an API token; real time, a real database
    (a SQLite file, or PostgreSQL on the PostgreSQL pass)."""
    app = HelpdeskApp(Settings(data_dir=tmp_path / "data", database_url=new_database(), host="127.0.0.1", port=0)).start()
    ann = app.services.agents.create("ann@shop.example", "Ann Agent", "ann-password", role="admin", actor=Actor.system())
    bob = app.services.agents.create("bob@shop.example", "Bob Agent", "bob-password", actor=Actor.system())
    token = app.services.tokens.create("browser tests", actor=Actor.system()).plaintext
    with ServerThread(app) as server:
        yield {"app": app, "url": server.url, "auth": {"Authorization": f"Bearer {token}"}, "ann": ann, "bob": bob}
    app.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    yield ctx
    ctx.close()


def post(shop, name: str, body: str, email: str | None = None) -> dict:
    response = httpx.post(shop["url"] + "/api/v1/messages", headers=shop["auth"], json={
        "customer": {"email": email or f"{name.split()[0].lower()}@example.com", "name": name}, "body": body})
    assert response.status_code == 201, response.text
    return response.json()


def test_sign_in_shows_the_inbox_and_a_wrong_password_says_so(shop, context):
    post(shop, "Carla Client", "Where is my order?")
    page = open_app(context, shop["url"])
    sign_in(page, "ann@shop.example", "not-the-password")
    expect(shown(page, "Wrong email or password.")).to_be_visible()
    type_into(page, "Password", "ann-password")
    page.keyboard.press("Enter")
    expect(shown(page, "Carla Client")).to_be_visible()
    expect(shown(page, "Where is my order?")).to_be_visible()


def test_a_message_posted_to_the_api_appears_live_within_two_seconds(shop, context):
    page = open_app(context, shop["url"])
    sign_in(page, "ann@shop.example", "ann-password")
    expect(shown(page, "All clear")).to_be_visible()
    started = time.monotonic()
    post(shop, "Lucy Live", "Is the blue bike back in stock?")
    expect(shown(page, "Lucy Live")).to_be_visible(timeout=2_000)
    assert time.monotonic() - started < 2.0


def test_a_reply_from_the_workspace_reaches_the_customer_link(shop, context):
    created = post(shop, "Rita Reply", "Can I change my delivery address?")
    page = open_app(context, shop["url"])
    sign_in(page, "ann@shop.example", "ann-password")
    page.get_by_text("Rita Reply").first.click()
    expect(shown(page, "Can I change my delivery address?")).to_be_visible()
    type_into(page, "Reply", "Yes, send us the new address here.")
    page.get_by_role("button", name="Send and set pending").click()
    expect(shown(page, "Sent; waiting on the customer")).to_be_visible()

    customer = context.new_page()
    customer.goto(created["conversation_url"])
    expect(shown(customer, "Yes, send us the new address here.")).to_be_visible()
    expect(customer.get_by_text("Ann Agent", exact=False).first).to_be_visible()
    detail = httpx.get(f"{shop['url']}/api/v1/conversations/{created['conversation_id']}", headers=shop["auth"]).json()
    assert detail["status"] == "pending" and detail["assignee"]["name"] == "Ann Agent"


def test_a_draft_typed_on_one_device_is_there_on_another(shop, browser):
    post(shop, "Dora Draft", "My saddle squeaks.")
    laptop = browser.new_context(viewport={"width": 1280, "height": 800})
    shop_pc = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        first = open_app(shop_pc, shop["url"])
        sign_in(first, "ann@shop.example", "ann-password")
        first.get_by_text("Dora Draft").first.click()
        type_into(first, "Reply", "Half-written answer about the saddle")
        deadline = time.monotonic() + 5  # saved about 0.7 s after the last keystroke
        while True:
            saved = shop["app"].services.drafts.get(shop["ann"].id, 1)
            if saved is not None and saved.body == "Half-written answer about the saddle":
                break
            assert time.monotonic() < deadline, f"draft on the server: {saved.body if saved else None!r}"
            time.sleep(0.1)

        second = open_app(laptop, shop["url"])
        sign_in(second, "ann@shop.example", "ann-password")
        # The laptop opens where the agent was, with the draft in the reply box.
        expect(shown(second, "My saddle squeaks.")).to_be_visible()
        second.get_by_role("textbox", name="Reply").click()  # Flutter puts the text in the DOM when focused
        second.wait_for_function(
            "Array.from(document.querySelectorAll('textarea')).some(e => e.value.includes('Half-written answer'))",
            timeout=5_000)
        assert any("Half-written answer about the saddle" in v for v in input_values(second))
    finally:
        laptop.close()
        shop_pc.close()


def agent_viewing(shop, browser, who: str, customer: str):  # type: ignore[no-untyped-def]
    """An agent's own browser (ann or bob), signed in, with the customer's conversation open."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = open_app(context, shop["url"])
    sign_in(page, f"{who}@shop.example", f"{who}-password")
    page.get_by_text(customer).first.click()
    return context, page


def test_two_agents_see_each_others_assignment_change(shop, browser):
    post(shop, "Otto Order", "Order 1042 is late.")
    ann_ctx, ann = agent_viewing(shop, browser, "ann", "Otto Order")
    bob_ctx, bob = agent_viewing(shop, browser, "bob", "Otto Order")
    try:
        expect(shown(bob, "Ann Agent is viewing")).to_be_visible()

        ann.get_by_role("button", name="Assign or transfer").click()
        ann.get_by_role("menuitem", name="Assign to me").click()
        expect(shown(bob, "Ann Agent took this conversation")).to_be_visible(timeout=3_000)
        expect(shown(bob, "Assigned to Ann Agent")).to_be_visible()

        bob.get_by_role("button", name="Assign or transfer").click()
        bob.get_by_role("menuitem", name="Assign to me").click()
        expect(shown(ann, "Transferred from Ann Agent to Bob Agent by Bob Agent")).to_be_visible(
            timeout=3_000)
        expect(shown(ann, "Assigned to Bob Agent")).to_be_visible()
    finally:
        ann_ctx.close()
        bob_ctx.close()


def test_a_reloaded_tab_stays_live_and_present(shop, browser):
    """A reload (or a dropped network) comes back to the same Flet session: it used to show the
    inbox as it was and never change again, and colleagues no longer saw the agent there."""
    created = post(shop, "Otto Order", "Order 1042 is late.")
    ann_ctx, ann = agent_viewing(shop, browser, "ann", "Otto Order")
    bob_ctx = None
    try:
        expect(shown(ann, "Order 1042 is late.")).to_be_visible()
        ann.reload()
        expect(shown(accessible(ann), "Order 1042 is late.")).to_be_visible()

        bob_ctx, bob = agent_viewing(shop, browser, "bob", "Otto Order")
        expect(shown(bob, "Ann Agent is viewing")).to_be_visible()
        response = httpx.post(shop["url"] + "/api/v1/messages", headers=shop["auth"], json={
            "customer": {"email": "otto@example.com"}, "conversation_id": created["conversation_id"],
            "body": "It arrived after all, thanks!"})
        assert response.status_code == 201, response.text
        post(shop, "Nina New", "Do you fit mudguards?")
        expect(shown(ann, "It arrived after all, thanks!")).to_be_visible(timeout=3_000)
        expect(shown(ann, "Nina New")).to_be_visible(timeout=3_000)
    finally:
        ann_ctx.close()
        if bob_ctx is not None:
            bob_ctx.close()


def test_the_first_account_needs_the_setup_code_even_on_this_machine(tmp_path, browser, new_database):
    app = HelpdeskApp(Settings(data_dir=tmp_path / "fresh", database_url=new_database(), host="127.0.0.1",
                               port=0, public_url="http://desk.larsen-bikes.test")).start()
    code = app.services.auth.setup_code()
    try:
        with ServerThread(app) as server:
            local = browser.new_context()
            page = open_app(local, server.url)  # a browser on the shop PC is a loopback client too
            type_into(page, "Setup code", "WRNG-CODE")
            type_into(page, "Your name", "Olga Owner")
            type_into(page, "Email", "olga@shop.example")
            type_into(page, "Password", "owner-password")
            page.get_by_role("button", name="Create owner account").click()
            expect(shown(page, "The setup code is not right")).to_be_visible()
            assert app.services.auth.needs_owner()
            field = page.get_by_role("textbox", name="Setup code")
            field.click()
            field.press("Control+a")
            field.press_sequentially(code.lower())
            page.get_by_role("button", name="Create owner account").click()
            expect(shown(page, "Helpdesk is ready")).to_be_visible()  # where colleagues connect, first
            expect(shown(page, "http://desk.larsen-bikes.test/")).to_be_visible()
            expect(page.get_by_role("img", name="QR code for http://desk.larsen-bikes.test/")).to_be_visible()
            page.get_by_role("button", name="Open the inbox").click()
            expect(shown(page, "All clear")).to_be_visible()
            local.close()
            assert not app.services.auth.needs_owner()
    finally:
        app.close()


def test_a_reply_started_before_a_new_customer_message_asks_first(shop, context):
    created = post(shop, "Cora Collision", "Do you have size M?")
    page = open_app(context, shop["url"])
    sign_in(page, "ann@shop.example", "ann-password")
    page.get_by_text("Cora Collision").first.click()
    type_into(page, "Reply", "Yes, size M is in stock.")
    deadline = time.monotonic() + 5  # the draft (and when it was started) reaches the server
    while shop["app"].services.drafts.get(shop["ann"].id, created["conversation_id"]) is None:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    post(shop, "Cora Collision", "Actually I need size L.", email="cora@example.com")
    expect(shown(page, "Actually I need size L.")).to_be_visible(timeout=3_000)
    page.get_by_role("button", name="Send and set pending").click()
    expect(shown(page, "New message from the customer")).to_be_visible()
    page.get_by_role("button", name="Go back and read").click()
    detail = httpx.get(f"{shop['url']}/api/v1/conversations/{created['conversation_id']}", headers=shop["auth"]).json()
    assert [m["body"] for m in detail["messages"]] == ["Do you have size M?", "Actually I need size L."]
    page.get_by_role("button", name="Send and set pending").click()  # now it has been read: no question
    expect(shown(page, "Sent; waiting on the customer")).to_be_visible()


def test_canned_reply_and_snooze_from_the_workspace(shop, context):
    app = shop["app"]
    from helpdesk.services.base import Actor
    app.services.canned.create("Greeting", "Hi {{customer.first_name}}, {{agent.name}} here.",
                               Actor.for_agent(shop["ann"]))
    created = post(shop, "Sami Snooze", "Please call me next week.")
    page = open_app(context, shop["url"])
    sign_in(page, "ann@shop.example", "ann-password")
    page.get_by_text("Sami Snooze").first.click()
    page.get_by_role("button", name="Canned reply").click()
    page.get_by_role("menuitem", name="Greeting").click()
    page.get_by_role("textbox", name="Reply").click()
    page.wait_for_function(
        "Array.from(document.querySelectorAll('textarea')).some(e => e.value === 'Hi Sami, Ann Agent here.')",
        timeout=5_000)
    page.get_by_role("button", name="Snooze Snooze", exact=True).click()
    page.get_by_role("menuitem", name="Until tomorrow 9:00").click()
    expect(shown(page, "Snoozed until")).to_be_visible()
    detail = httpx.get(f"{shop['url']}/api/v1/conversations/{created['conversation_id']}", headers=shop["auth"]).json()
    assert detail["status"] == "snoozed" and detail["snoozed_until"] is not None


def test_a_conversation_past_its_target_turns_overdue_for_everyone_without_a_reload(tmp_path, browser, new_database):
    from datetime import datetime, timedelta, timezone

    from helpdesk.clock import ManualClock
    from helpdesk.services.base import Actor
    from helpdesk.services.calendar import BusinessCalendar

    clock = ManualClock(datetime.now(timezone.utc).replace(microsecond=0))
    app = HelpdeskApp(Settings(data_dir=tmp_path / "sla", database_url=new_database(), host="127.0.0.1", port=0), clock=clock).start()
    try:
        app.services.sla.set_calendar(BusinessCalendar.always(), Actor.system())  # 4 h, around the clock
        app.services.agents.create("ann@shop.example", "Ann Agent", "ann-password", role="admin", actor=Actor.system())
        token = app.services.tokens.create("t", actor=Actor.system()).plaintext
        with ServerThread(app) as server:
            ctx = browser.new_context(viewport={"width": 1280, "height": 800})
            page = open_app(ctx, server.url)
            sign_in(page, "ann@shop.example", "ann-password")
            expect(shown(page, "All clear")).to_be_visible()
            httpx.post(server.url + "/api/v1/messages", headers={"Authorization": f"Bearer {token}"},
                       json={"customer": {"email": "late@example.com", "name": "Lena Late"}, "body": "Hello?"})
            expect(shown(page, "First reply due in 4 h")).to_be_visible()
            clock.advance(timedelta(hours=4, minutes=5))
            assert app.job_runner.run("sla_scan") == "1 new breach"  # what the scheduler does each minute
            expect(shown(page, "Overdue 1")).to_be_visible(timeout=3_000)
            expect(shown(page, "Overdue: first reply for conversation")).to_be_visible()
            expect(shown(page, "First reply overdue by 5 min")).to_be_visible()
            ctx.close()
    finally:
        app.close()


def test_the_reports_screen_shows_the_figures(shop, context):
    created = post(shop, "Rhea Report", "How long does shipping take?")
    from helpdesk.services.base import Actor
    shop["app"].services.conversations.reply(created["conversation_id"], Actor.for_agent(shop["ann"]),
                                             "Two days.")
    page = open_app(context, shop["url"])
    sign_in(page, "ann@shop.example", "ann-password")
    page.get_by_role("button", name="Account").or_(page.get_by_role("button", name="Ann")).first.click()
    page.get_by_role("menuitem", name="Reports").click()
    expect(shown(page, "First response (median)")).to_be_visible()
    expect(shown(page, "1 measured")).to_be_visible()
    expect(shown(page, "Busiest hours")).to_be_visible()


def test_the_customer_replies_and_rates_through_the_real_page(shop, browser):
    created = post(shop, "Pia Page", "Is my bike ready?")
    from helpdesk.services.base import Actor
    conversations = shop["app"].services.conversations
    conversations.reply(created["conversation_id"], Actor.for_agent(shop["ann"]), "Yes, collect it.",
                        then="resolved")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(created["conversation_url"])
        page.get_by_label("4").check()
        page.get_by_label("Anything to add? (optional)").fill("Friendly and fast")
        page.get_by_role("button", name="Send rating").click()
        expect(page.get_by_text("Thank you for your rating")).to_be_visible()
        page.get_by_label("Write again").fill("One more question: do you sell locks?")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(page.get_by_text("One more question: do you sell locks?")).to_be_visible()
    finally:
        context.close()
    detail = conversations.get(created["conversation_id"])
    assert detail.conversation.status == "open"
    assert any(m.body == "Customer rated the help 4/5: Friendly and fast" for m in detail.messages)


def test_markup_in_a_message_is_shown_as_text_and_never_runs_in_the_workspace(shop, context):
    attack = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script> Héllo שלום 🚲'
    post(shop, "Mallory Markup", attack)
    page = open_app(context, shop["url"])
    sign_in(page, "ann@shop.example", "ann-password")
    page.get_by_text("Mallory Markup").first.click()
    expect(shown(page, 'onerror="window.pwned=1"')).to_be_visible()  # the text itself, shown
    assert page.evaluate("window.pwned") is None
    assert page.locator("img[src=x]").count() == 0  # never became an element
    assert not any("pwned" in text for text in page.eval_on_selector_all("script", "els => els.map(e => e.text)"))


def test_on_a_phone_the_thread_has_the_screen_and_the_actions_wait_in_a_sheet(shop, browser):
    created = post(shop, "Pia Phone", "My bell rings by itself.")
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = open_app(phone, shop["url"])
        sign_in(page, "ann@shop.example", "ann-password")
        page.get_by_role("button").filter(has_text="Pia Phone").first.click()
        expect(shown(page, "My bell rings by itself.")).to_be_visible()
        assert page.get_by_role("button", name="Resolve").count() == 0  # not in the header on a phone
        # Canned replies and files by their icons, so Send keeps its words on one line.
        expect(page.get_by_role("button", name="Attach photos or files")).to_be_visible()
        expect(page.get_by_role("button", name="Canned reply")).to_be_visible()
        send = page.get_by_role("button", name="Send and set pending").bounding_box()
        assert send is not None and send["height"] < 48, send
        page.get_by_role("button", name="Conversation actions").click()
        page.get_by_role("button", name="Resolve").or_(page.get_by_text("Resolve", exact=True)).first.click()
        deadline = time.monotonic() + 5
        while shop["app"].services.conversations.get_row(created["conversation_id"]).status != "resolved":
            assert time.monotonic() < deadline, "resolving from the sheet did nothing"
            time.sleep(0.1)
        expect(shown(page, "Resolved by Ann Agent")).to_be_visible()
    finally:
        phone.close()


def test_on_a_phone_the_bottom_bar_keeps_four_views_and_more_holds_the_rest(shop, browser):
    post(shop, "Pia Phone", "My bell rings by itself.")
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = open_app(phone, shop["url"])
        sign_in(page, "ann@shop.example", "ann-password")
        expect(shown(page, "All · open (1)")).to_be_visible()
        tabs = page.get_by_role("tab")
        expect(tabs).to_have_count(5)  # eight views did not fit: labels wrapped, counts were cut
        expect(page.get_by_role("tab", name="Unassigned")).to_have_accessible_name("1\nUnassigned")  # the count's badge
        for tab in tabs.all():
            box = tab.bounding_box()
            assert box is not None and box["width"] >= 72, box  # a thumb's width each
        page.get_by_role("tab", name="More").click()
        page.get_by_role("button", name="At risk").or_(page.get_by_text("At risk", exact=True)).first.click()
        expect(shown(page, "At risk · open (0)")).to_be_visible()
        expect(page.get_by_role("tab", name="At risk")).to_have_attribute("aria-selected", "true")  # in More's place
        page.get_by_role("tab", name="Unassigned").click()
        expect(shown(page, "Unassigned · open (1)")).to_be_visible()
    finally:
        phone.close()


def test_a_customer_sends_a_photo_and_gets_the_agents_pdf_back(shop, context, tmp_path):
    created = post(shop, "Finn Files", "My wheel is bent, photo coming.")
    photo = tmp_path / "bent-wheel.png"
    from PIL import Image

    Image.new("RGB", (800, 600), "orange").save(photo)
    customer = context.new_page()
    customer.goto(created["conversation_url"])
    customer.set_input_files("input[type=file]", str(photo))
    customer.get_by_role("button", name="Send").click()
    expect(customer.locator("img[alt='bent-wheel.png']")).to_be_visible()
    assert customer.evaluate("document.querySelector(\"img[alt='bent-wheel.png']\").naturalWidth") > 0

    invoice = tmp_path / "quote-1042.pdf"
    invoice.write_bytes(b"%PDF-1.4\n% a quote for a new rim\n%%EOF\n")
    page = open_app(context, shop["url"])
    sign_in(page, "ann@shop.example", "ann-password")
    page.get_by_text("Finn Files").first.click()
    expect(page.get_by_role("img", name="bent-wheel.png")).to_be_visible()  # the thumbnail in the thread
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach").click()
    chooser.value.set_files(str(invoice))
    expect(shown(page, "quote-1042.pdf (")).to_be_visible()  # the chip of a file ready to send
    type_into(page, "Reply", "Here is the quote for a new rim.")
    page.get_by_role("button", name="Send and set pending").click()
    expect(shown(page, "Sent; waiting on the customer")).to_be_visible()

    customer.reload()
    link = customer.get_by_role("link", name="quote-1042.pdf")
    expect(link).to_be_visible()
    with customer.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes() == invoice.read_bytes()


def test_the_agent_answers_a_website_customer_by_sms_instead_and_sees_the_parts_counted(shop, context):
    from helpdesk.channels.texts import TextChannels
    from tests.channels.fakes import FakePhone
    from tests.mailservers import wait_until

    phone = FakePhone().on()
    app = shop["app"]
    app.services.messaging.channels.add("sms-gateway", "Phone", {
        "url": phone.url_with_password(), "callback_url": shop["url"] + "/api/v1/channels/sms-gateway/Phone"},
        Actor.system())
    texts = TextChannels(app.services, send_interval=0.05).start()
    try:
        response = httpx.post(shop["url"] + "/api/v1/messages", headers=shop["auth"], json={
            "customer": {"email": "tom@example.com", "phone": "+15550100444", "name": "Tom Texter"},
            "body": "Call or text me when the wheel is trued"})
        assert response.status_code == 201, response.text
        page = open_app(context, shop["url"])
        sign_in(page, "ann@shop.example", "ann-password")
        page.get_by_text("Tom Texter").first.click()
        expect(shown(page, "Call or text me when the wheel is trued")).to_be_visible()
        shown(page, "Reply on their conversation page").click()  # where they wrote; they left a number too
        page.get_by_role("menuitem", name="SMS").click()
        expect(shown(page, "Reply by SMS")).to_be_visible()
        text = ("Your wheel is ready: 15 € at the till. We trued it and changed two spokes; the brake rub is "
                "gone too. We are open until six today and from ten on Saturday. Thanks!")
        type_into(page, "Reply", text)
        # € counts twice in GSM-7. Typed in one burst, the count catches up within seconds.
        expect(shown(page, f"{len(text)} characters · 2 SMS")).to_be_visible(timeout=15_000)
        page.get_by_role("button", name="Send and set pending").click()
        sent = wait_until(lambda: phone.sent_texts, what="the reply sent as a text")
        assert sent[0]["text"] == text
        assert sent[0]["recipients"][0]["phoneNumber"] == "+15550100444"
    finally:
        texts.stop()
        phone.off()
