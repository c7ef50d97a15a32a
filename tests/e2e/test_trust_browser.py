"""Trust in a real Chromium, as agents do it: two-step sign-in set up from the account menu, a code
and a recovery code (once), a wrong code refused, an admin's reset, "Sign out other devices" ending
another browser's session; exporting and erasing a customer from their panel; marking spam with
the sender blocked, and taking it back. The server's clock is moved, not waited on, between codes
(a code is good once, so the next needs the next 30 s)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pyotp
import pytest
from playwright.sync_api import expect

from helpdesk.app import HelpdeskApp, ServerThread
from helpdesk.clock import ManualClock
from helpdesk.config import Settings
from helpdesk.services.base import Actor
from tests.browser import accessible, needs_chromium, open_app, shown, sign_in, type_into

# The browser's side only: the services it drives run on PostgreSQL in tests/services and tests/api.
pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.sqlite_only]
RECOVERY = re.compile(r"\b[A-HJ-NP-Z2-9]{5}-[A-HJ-NP-Z2-9]{5}\b")


@pytest.fixture
def shop(tmp_path, new_database):
    clock = ManualClock(datetime.now(timezone.utc).replace(microsecond=0))
    app = HelpdeskApp(Settings(data_dir=tmp_path / "data", database_url=new_database(), host="127.0.0.1", port=0),
                      clock=clock).start()
    ann = app.services.agents.create("ann@shop.example", "Ann Agent", "ann-password", role="admin", actor=Actor.system())
    bob = app.services.agents.create("bob@shop.example", "Bob Agent", "bob-password", actor=Actor.system())
    with ServerThread(app) as server:
        yield {"app": app, "url": server.url, "clock": clock, "ann": ann, "bob": bob}
    app.close()


def menu(page, item: str) -> None:
    page.get_by_role("button", name="Account").first.click()
    page.get_by_role("menuitem", name=item).click()


def code_now(shop, secret: str) -> str:
    shop["clock"].advance(timedelta(seconds=30))  # the next time step: the last code was used
    return pyotp.TOTP(secret).at(shop["clock"].now())


def test_set_up_then_sign_in_with_a_code_and_with_a_recovery_code_once(shop, browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = open_app(ctx, shop["url"])
    sign_in(page, "bob@shop.example", "bob-password")
    expect(shown(page, "All clear")).to_be_visible()
    menu(page, "Two-step sign-in")
    expect(page.get_by_role("img", name="QR code to scan with the authenticator app")).to_be_visible()
    secret = shop["app"].services.agents.get(shop["bob"].id).totp_secret  # what the phone read from the QR code
    type_into(page, "6-digit code", pyotp.TOTP(secret).at(shop["clock"].now()))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("button", name="I have kept them")).to_be_visible()
    codes = RECOVERY.findall(page.evaluate("document.body.innerText + ' ' + Array.from(document.querySelectorAll("
                                           "'[aria-label]')).map(e => e.getAttribute('aria-label')).join(' ')"))
    assert len(set(codes)) == 10, codes
    page.get_by_role("button", name="I have kept them").click()
    menu(page, "Sign out")

    sign_in(page, "bob@shop.example", "bob-password")
    expect(shown(page, "Two-step sign-in")).to_be_visible()
    type_into(page, "Code", "000000")
    page.keyboard.press("Enter")
    expect(shown(page, "That code is not right.")).to_be_visible()
    type_into(page, "Code", code_now(shop, secret))
    page.keyboard.press("Enter")
    expect(shown(page, "All clear")).to_be_visible()
    menu(page, "Sign out")

    for attempt in ("works", "used up"):
        sign_in(page, "bob@shop.example", "bob-password")
        type_into(page, "Code", codes[0])
        page.keyboard.press("Enter")
        if attempt == "works":
            expect(shown(page, "All clear")).to_be_visible()
            menu(page, "Sign out")
        else:
            expect(shown(page, "That code is not right.")).to_be_visible()
    actions = [e.action for e in shop["app"].services.auditlog.recent()]
    assert actions.count("agent.sign_in_failed") == 2 and "agent.two_step_enabled" in actions
    ctx.close()


def test_an_admins_reset_and_sign_out_other_devices_end_the_other_browsers_session(shop, browser):
    services = shop["app"].services
    bob = Actor.for_agent(shop["bob"])
    services.two_step.confirm(shop["bob"].id, pyotp.TOTP(services.two_step.begin(shop["bob"].id, bob).secret).at(
        shop["clock"].now()), bob)
    laptop = browser.new_context(viewport={"width": 1280, "height": 800})
    phone = browser.new_context(viewport={"width": 1280, "height": 800})
    desk = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        bob_page = open_app(laptop, shop["url"])
        sign_in(bob_page, "bob@shop.example", "bob-password")
        secret = services.agents.get(shop["bob"].id).totp_secret
        type_into(bob_page, "Code", code_now(shop, secret))
        bob_page.keyboard.press("Enter")
        expect(shown(bob_page, "All clear")).to_be_visible()

        ann_page = open_app(desk, shop["url"])
        sign_in(ann_page, "ann@shop.example", "ann-password")
        menu(ann_page, "Settings")
        ann_page.get_by_role("cell", name="Actions for Bob Agent").click()
        ann_page.get_by_role("menuitem", name="Reset two-step sign-in (lost phone)").click()
        ann_page.get_by_role("button", name="Reset", exact=True).click()
        expect(shown(ann_page, "Two-step sign-in reset for Bob Agent")).to_be_visible()
        # Bob's open laptop is signed out at once, and his password alone now signs him in.
        expect(shown(bob_page, "You were signed out on this device from another one.")).to_be_visible(timeout=5_000)
        sign_in(bob_page, "bob@shop.example", "bob-password")
        expect(shown(bob_page, "All clear")).to_be_visible()

        phone_page = open_app(phone, shop["url"])
        sign_in(phone_page, "bob@shop.example", "bob-password")
        expect(shown(phone_page, "All clear")).to_be_visible()
        menu(bob_page, "Signed-in devices")
        expect(shown(bob_page, "this device")).to_be_visible()
        bob_page.get_by_role("button", name="Sign out other devices").click()
        expect(shown(bob_page, "Signed out on 1 other device")).to_be_visible()
        expect(shown(phone_page, "You were signed out on this device from another one.")).to_be_visible(timeout=5_000)
        phone_page.reload()  # and a reload does not bring the session back
        accessible(phone_page)
        expect(phone_page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)
    finally:
        for ctx in (laptop, phone, desk):
            ctx.close()


def test_an_admin_exports_a_customer_from_the_panel_then_erases_them(shop, browser, tmp_path):
    import io
    import json
    import zipfile

    from helpdesk.services.conversations import IncomingMessage

    services = shop["app"].services
    got = services.conversations.receive(IncomingMessage(body="Please send me what you hold about me",
                                                         email="kim@example.com", name="Kim Kunde"))
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = open_app(ctx, shop["url"])
    sign_in(page, "ann@shop.example", "ann-password")
    page.get_by_role("button").filter(has_text="Kim Kunde").first.click()
    expect(page.get_by_role("button", name="Export data")).to_be_visible()
    served: list = []  # the browser opens the one-time link in a new tab; what it was sent is kept here

    def keep(route) -> None:
        answer = route.fetch()
        served.append((answer.status, answer.headers, answer.body()))
        route.fulfill(response=answer)

    ctx.route("**/downloads/*", keep)
    page.get_by_role("button", name="Export data").click()
    for _ in range(100):
        if served:
            break
        page.wait_for_timeout(100)
    assert served, "the export never reached the browser"
    status, headers, body = served[0]
    assert status == 200 and headers["content-type"] == "application/zip"
    assert f'filename="customer-{got.customer_id}-export.zip"' in headers["content-disposition"]
    path = tmp_path / "export.zip"
    path.write_bytes(body)
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as zf:
        data = json.loads(zf.read("customer.json"))
    assert data["customer"]["name"] == "Kim Kunde"
    page.get_by_role("button", name="Erase customer…").click()
    type_into(page, "Type ERASE to confirm", "erase")
    page.get_by_role("button", name="Erase for good").click()
    expect(shown(page, "Erased: 1 conversation kept as 'Erased customer'")).to_be_visible()
    assert services.conversations.get(got.conversation_id).customer_name == "Erased customer"
    ctx.close()


def test_an_agent_marks_spam_blocking_the_sender_then_takes_it_back(shop, browser):
    from helpdesk.services.conversations import IncomingMessage

    services = shop["app"].services
    got = services.conversations.receive(IncomingMessage(body="Cheap watches, today only", email="deals@junk.example",
                                                         name="Deal Desk"))
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = open_app(ctx, shop["url"])
    sign_in(page, "bob@shop.example", "bob-password")  # an agent, not an admin
    page.get_by_role("button").filter(has_text="Deal Desk").first.click()
    page.get_by_role("button", name="Mark as spam").click()
    page.get_by_role("checkbox", name="Block the address deals@junk.example").click()
    page.get_by_role("button", name="Mark as spam").last.click()
    expect(shown(page, "Moved to Spam and blocked")).to_be_visible()
    expect(shown(page, "Spam 1")).to_be_visible()
    assert [(b.kind, b.value) for b in services.blocklist.entries()] == [("email", "deals@junk.example")]
    assert services.conversations.get(got.conversation_id).conversation.status == "spam"
    page.get_by_role("button", name="Not spam").click()
    page.get_by_role("button", name="Unblock").click()
    expect(shown(page, "Back in the inbox, sender unblocked")).to_be_visible()
    assert services.blocklist.entries() == []
    assert services.conversations.get(got.conversation_id).conversation.status == "open"
    ctx.close()
