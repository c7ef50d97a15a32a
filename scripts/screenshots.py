"""Take the README's screenshots from the demo shop: a real server, real Chromium.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpdesk.app import HelpdeskApp, ServerThread  # noqa: E402
from helpdesk.config import Settings  # noqa: E402
from helpdesk.services.base import Actor  # noqa: E402
from helpdesk.services.conversations import IncomingMessage  # noqa: E402
from helpdesk.services.demo import fill_demo  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, open_app, open_settings, shown, sign_in, type_into  # noqa: E402


def demo_logo() -> bytes:
    """A small round logo for the demo shop (drawn here: nothing is downloaded)."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGBA", (96, 96), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((0, 0, 95, 95), fill=(181, 84, 47))
    draw.text((48, 50), "LB", font=ImageFont.load_default(size=40), fill="white", anchor="mm")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def open_rows(app):  # type: ignore[no-untyped-def]
    """The demo's open conversations as Sam's All view lists them (the first 50)."""
    from helpdesk.services.inbox import InboxQuery

    sam = next(a for a in app.services.agents.list() if a.email == "sam@bikeshop.example")
    return app.services.inbox.page(InboxQuery(view="all", status="open"), sam.id, None, 50).rows


def photo_conversation(app) -> str | None:  # type: ignore[no-untyped-def]
    """The customer name of an open conversation in the demo whose customer sent a photo."""
    return next((row.customer_name for row in open_rows(app) if app.services.conversations.get(row.id).attachments),
                None)


MAIL_FROM_CUSTOMER = (
    "From: Lena Vogel <lena.vogel@example.de>\r\nTo: Larsen Bikes <shop@bikeshop.example>\r\n"
    "Cc: Jonas Vogel <jonas@example.de>\r\nSubject: Brake pads for a Shimano MT200?\r\n"
    "Message-ID: <lena-1@example.de>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=B\r\n\r\n"
    "--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello,\r\n\r\ndo you have brake pads that fit a Shimano "
    "MT200? My son's bike squeaks and stops late. We could come by on Saturday.\r\n\r\nThanks,\r\nLena\r\n-- \r\n"
    "Lena Vogel · +49 30 1234567\r\n\r\nOn Mon, 23 Nov 2026, Larsen Bikes <shop@bikeshop.example> wrote:\r\n"
    "> Your order 4411 has shipped.\r\n--B\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello,</p><p>do you "
    "have brake pads that fit a <b>Shimano MT200</b>? My son's bike squeaks and stops late. We could come by on "
    "Saturday.</p><p>Thanks,<br>Lena</p><blockquote>Your order 4411 has shipped.</blockquote>\r\n--B--\r\n")


def mail_screens(app, page, out: Path, then=None) -> None:  # type: ignore[no-untyped-def]
    """A mailbox on a private Dovecot and SMTP server (loopback), a customer's mail arriving,
    the whole mail, and Settings → Mailboxes. Skipped when Dovecot is not installed."""
    from helpdesk.services.mail.mailboxes import MailboxInput
    from tests.mailservers import Dovecot, SmtpSink, dovecot_available, wait_until

    if not dovecot_available():
        print("Dovecot is not installed: the mail screenshots are skipped")
        return
    dovecot, smtp = Dovecot().start(), SmtpSink().start()
    try:
        app.services.mail.mailboxes.add(MailboxInput(name="Larsen Bikes", address="shop@bikeshop.example",
                                                     imap=dovecot.url("shop"), smtp=smtp.url), Actor.system())
        dovecot.append("shop", MAIL_FROM_CUSTOMER.encode())
        wait_until(lambda: app.services.mail.intake.seen_key("<lena-1@example.de>"), 30, "the mail")
        type_into(page, "Search", "Shimano MT200")  # found by search: the newest row is at the list's end
        page.keyboard.press("Enter")
        shown(page, "results for").wait_for()
        page.get_by_role("button").filter(has_text="Lena Vogel").first.click()
        shown(page, "Whole mail").wait_for()
        time.sleep(1)
        page.screenshot(path=out / "conversation-email.png")
        page.get_by_role("button", name="Whole mail").click()
        shown(page, "Download .eml").wait_for()
        time.sleep(1)
        page.screenshot(path=out / "email-whole-mail.png")
        page.keyboard.press("Escape")
        smtp.stop()  # the internet goes down: the reply waits, and the workspace says so quietly
        type_into(page, "Reply", "Hi Lena, yes: we have Shimano B01S pads in stock, 12 € a pair, fitted while you "
                                 "wait on Saturday.")
        page.get_by_role("button", name="Send and set pending").click()
        shown(page, "Email offline").wait_for(timeout=30000)
        time.sleep(1)
        page.screenshot(path=out / "email-offline.png")
        smtp.start()  # back: the reply leaves at its next try (within 15 s)
        smtp.wait_for(1, timeout=60)
        time.sleep(2)
        page.get_by_role("button", name="Account").or_(page.get_by_role("button", name="Sam")).first.click()
        page.get_by_role("menuitem", name="Settings").click()
        page.get_by_text("Mailboxes").first.click()
        shown(page, "Customers who wrote another way").wait_for()
        time.sleep(1)
        page.screenshot(path=out / "settings-mailboxes.png")
        if then is not None:  # while the mailbox still works (the banner would say it cannot fetch)
            then()
    finally:
        smtp.stop()
        dovecot.stop()


def phone_screens(app, page, out: Path, server) -> None:  # type: ignore[no-untyped-def]
    """The shop's Android phone (a fake of SMS Gateway for Android on loopback): a customer's
    text arriving, the reply box counting SMS parts, linking the texter to their email
    customer, and Settings → Channels."""
    from tests.channels.fakes import FakePhone
    from tests.mailservers import wait_until

    phone = FakePhone(signing_key="screenshot-key").on()
    try:
        app.services.messaging.channels.add("sms-gateway", "Shop phone", {
            "url": phone.url_with_password(), "signing_key": "screenshot-key",
            "callback_url": f"{server.url}/api/v1/channels/sms-gateway/Shop%20phone"}, Actor.system())
        wait_until(lambda: len(phone.webhooks) == 4, 30, "the phone's webhooks")
        page.get_by_role("button", name="Back to the inbox").click()  # from Settings → Mailboxes
        shown(page, "Unassigned").wait_for()
        phone.text_in("+4915123456789", "Hi, it's Lena again, texting from my phone: is the red Cube ready "
                                        "(ticket 2231)? Thanks!")
        type_into(page, "Search", "ticket 2231")
        page.keyboard.press("Enter")
        shown(page, "result for").wait_for()
        page.get_by_role("button").filter(has_text="+4915123456789").first.click()
        shown(page, "Link another customer…").wait_for()
        for _ in range(3):  # the panel may redraw just as the click lands: then click again
            page.get_by_role("button", name="Link another customer…").click()
            try:
                page.get_by_role("textbox", name="Their email address or phone number").wait_for(timeout=5000)
                break
            except Exception:
                continue
        type_into(page, "Their email address or phone number", "lena.vogel@example.de")
        page.keyboard.press("Enter")  # submits the field with what was typed
        shown(page, "conversation(s)").wait_for()
        time.sleep(1)
        page.screenshot(path=out / "link-customer.png")
        page.get_by_role("button", name="Link", exact=True).click()
        shown(page, "one history").wait_for()
        answer = ("Hi Lena, yes! The Cube is ready: new chain and brake pads, 64 €. We are open until 6 pm today "
                  "and from 10 am on Saturday.")
        type_into(page, "Reply", answer)
        shown(page, f"{len(answer)} characters").wait_for()  # typed in one burst: the count catches up
        time.sleep(1)
        page.screenshot(path=out / "conversation-sms.png")
        page.get_by_role("button", name="Send and set pending").click()
        wait_until(lambda: phone.sent_texts, 30, "the text on the phone")
        phone.progress(phone.sent_texts[0]["id"], "Delivered")
        time.sleep(1)
        page.get_by_role("button", name="Account").or_(page.get_by_role("button", name="Sam")).first.click()
        page.get_by_role("menuitem", name="Settings").click()
        page.get_by_text("Channels").first.click()
        shown(page, "Add a channel").wait_for()
        time.sleep(1)
        page.screenshot(path=out / "settings-channels.png")
        page.get_by_role("button", name="Back to the inbox").click()
        shown(page, "Unassigned").wait_for()
    except Exception:
        page.screenshot(path=out / "failed-phone-screens.png")  # to see what went wrong; not for the README
        raise
    finally:
        phone.off()


SHOP_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Larsen Bikes</title>
<style>body{margin:0;font-family:Georgia,serif;background:#fbf7ef;color:#3b2f22}header{background:#3b2f22;color:#fbf7ef;
padding:18px 40px;font-size:28px}main{padding:30px 40px;max-width:760px}h1{font-size:40px;margin:0 0 10px}
p{font-size:19px;line-height:1.6}button{font:inherit;background:#b5542f;color:white;border:0;padding:10px 22px}
</style></head><body><header>Larsen Bikes</header><main><h1>Service &amp; repairs</h1>
<p>Tune-ups, wheel truing and e-bike motors, usually done in two days. Bring your bike by, or ask us anything
with the chat button.</p><button>Book a service</button></main>SCRIPT</body></html>"""


def widget_screens(app, browser, server, out: Path) -> None:  # type: ignore[no-untyped-def]
    """The chat on a shop's website (another origin on loopback), live, and /chat on a phone."""
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from tests.mailservers import wait_until

    site_dir = Path(tempfile.mkdtemp())
    handler = partial(SimpleHTTPRequestHandler, directory=str(site_dir))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    site = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{site.server_address[1]}"
    chat = app.services.messaging.channels.add("website", "Website", {"origins": [origin]}, Actor.system())
    key = chat.config["key"]
    (site_dir / "index.html").write_text(SHOP_PAGE.replace(
        "SCRIPT", f'<script src="{server.url}/widget.js" data-helpdesk="{key}" async></script>'))
    closed = browser.new_context(viewport={"width": 390, "height": 844})
    page = closed.new_page()
    page.goto(origin + "/index.html")
    page.get_by_role("button", name="Chat with us").wait_for()
    time.sleep(0.5)
    page.screenshot(path=out / "widget-closed-phone.png")  # what a visitor meets first: the shop's page
    closed.close()
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    page = context.new_page()
    page.goto(origin + "/index.html")
    page.get_by_role("button", name="Chat with us").click()
    page.get_by_label("Your message").fill("Hi! Can you look at my e-bike's motor this week? It cuts out on hills.")
    page.get_by_label("Your email (optional)").fill("nora.berg@example.com")
    page.get_by_role("button", name="Send").click()
    page.locator("[data-helpdesk-chat] .msg.mine").first.wait_for()
    visitor = page.evaluate(f"localStorage.getItem('helpdesk-visitor-{key}')")
    conversation = wait_until(lambda: app.services.chat.thread(app.services.chat.visitor(key, visitor))
                              .conversation_id, 20, "the chat")
    priya = next(a for a in app.services.agents.list() if a.email == "priya@bikeshop.example")
    from helpdesk.services.base import Actor as A

    app.services.conversations.reply(conversation, A.for_agent(priya),
                                     "Hi Nora! Yes: bring it on Thursday morning, we'll check the motor and "
                                     "the battery contacts while you wait.")
    page.locator("[data-helpdesk-chat] .msg:not(.mine)").first.wait_for()
    time.sleep(1)
    page.screenshot(path=out / "widget.png")
    context.close()
    dark = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    page = dark.new_page()
    page.goto(origin + "/index.html")
    page.evaluate(f"localStorage.setItem('helpdesk-visitor-{key}', {visitor!r})")  # Nora, on her phone at night
    page.reload()
    page.get_by_role("button", name="Chat with us").click()
    page.locator("[data-helpdesk-chat] .msg:not(.mine)").first.wait_for()
    time.sleep(1)
    page.screenshot(path=out / "widget-dark-phone.png")
    dark.close()
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    page = phone.new_page()
    page.goto(f"{server.url}/chat?site={key}")
    page.get_by_label("Your message").fill("Is the workshop open on Saturday?")
    page.get_by_role("button", name="Send").click()
    page.locator("[data-helpdesk-chat] .msg.mine").first.wait_for()
    time.sleep(1)
    page.screenshot(path=out / "chat-page.png")
    phone.close()
    site.shutdown()


def customer_screens(app, browser, server, out: Path) -> None:  # type: ignore[no-untyped-def]
    """What customers see: the chat on a site, /chat, and their conversation page (light and dark)."""
    widget_screens(app, browser, server, out)
    token = app.services.tokens.create("screenshots", actor=Actor.system()).plaintext
    created = httpx.post(server.url + "/api/v1/messages", headers={"Authorization": f"Bearer {token}"}, json={
        "customer": {"email": "emma.schmidt@example.com"}, "body": "One more question: do you ship to Austria?"})
    # The link names the shop's public address; this script only ever talks to its own loopback server.
    link = server.url + "/c/" + created.json()["conversation_url"].rsplit("/c/", 1)[1]
    for scheme, name in (("light", "customer-link.png"), ("dark", "customer-link-dark.png")):
        customer = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme=scheme)
        page = customer.new_page()
        page.goto(link)
        page.screenshot(path=out / name, full_page=True)
        customer.close()


def automation_screens(app, page, out: Path) -> None:  # type: ignore[no-untyped-def]
    """Settings → Automation with rules that have worked, the rule editor, and an automatic reply in a thread."""
    from helpdesk.services.conversations import IncomingMessage

    services = app.services
    for name in ("round-robin", "auto-acknowledge", "follow-up"):
        services.automation.set_enabled(name, True, Actor.system())
    services.automation.create({"title": "Refund requests", "trigger": "customer_message", "enabled": True,
                                "conditions": {"match": "any", "items": [
                                    {"field": "text", "op": "contains", "value": "refund"},
                                    {"field": "subject", "op": "contains", "value": "refund"}]},
                                "actions": [{"type": "add_tags", "tags": ["refund"]},
                                            {"type": "priority", "value": "high"}]}, Actor.system())
    services.conversations.receive(IncomingMessage(
        body="Hello! The lock I bought on Saturday does not fit my frame. Can I get a refund or swap it?",
        email="nora@example.com", name="Nora Lind", subject="Refund for a lock"))
    services.automation.process_all()
    page.get_by_text("Automation").first.click()
    shown(page, "Limits").wait_for()
    time.sleep(1.5)
    page.screenshot(path=out / "settings-automation.png")
    page.get_by_role("button", name="Edit").nth(4).click()
    shown(page, "Save rule").wait_for()
    time.sleep(1.5)
    page.screenshot(path=out / "rule-editor.png")
    page.get_by_role("button", name="Cancel").click()


def trust_screens(app, browser, server, out: Path) -> None:  # type: ignore[no-untyped-def]
    """Two-step sign-in, Settings → Privacy and Audit log, and the Spam view."""
    import pyotp

    services = app.services
    sam = next(a for a in services.agents.list() if a.email == "sam@bikeshop.example")
    priya = next(a for a in services.agents.list() if a.email == "priya@bikeshop.example")
    started = services.two_step.begin(priya.id, Actor.for_agent(priya))
    services.two_step.confirm(priya.id, pyotp.TOTP(started.secret).now(), Actor.for_agent(priya))
    services.blocklist.block("domain", "cheap-watches.example", Actor.for_agent(sam))
    services.conversations.receive(IncomingMessage(body="Replica watches, 90% off, today only!",
                                                   email="deals@cheap-watches.example", subject="Watches 90% off"))
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = open_app(context, server.url)
    sign_in(page, "priya@bikeshop.example", "demo-password")
    try:
        shown(page, "Two-step sign-in").wait_for()
    except Exception:
        page.screenshot(path=out / "failed-trust-screens.png")  # to see what went wrong; not for the README
        raise
    time.sleep(1)
    page.screenshot(path=out / "two-step-sign-in.png")
    context.close()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = open_app(context, server.url)
    sign_in(page, "sam@bikeshop.example", "demo-password")
    shown(page, "Unassigned").wait_for()
    page.get_by_text("Spam").first.click()
    shown(page, "Spam (1)").wait_for()
    page.get_by_role("button").filter(has_text="Watches 90% off").first.click()
    shown(page, "Not spam").wait_for()
    time.sleep(1.5)
    page.screenshot(path=out / "spam-view.png")
    page.get_by_role("button", name="Erase customer…").click()
    time.sleep(1)
    shown(page, "Type ERASE to confirm").wait_for()
    time.sleep(1)
    page.screenshot(path=out / "erase-customer.png")
    page.get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name="Account").or_(page.get_by_role("button", name="Sam")).first.click()
    page.get_by_role("menuitem", name="Signed-in devices").click()
    shown(page, "this device").wait_for()
    time.sleep(1)
    page.screenshot(path=out / "signed-in-devices.png")
    page.get_by_role("button", name="Close").click()
    page.get_by_role("button", name="Account").or_(page.get_by_role("button", name="Sam")).first.click()
    page.get_by_role("menuitem", name="Settings").click()
    shown(page, "Add an agent").wait_for()
    for section, ready, name in (("Agents", "Signing in", "settings-agents"),
                                 ("Privacy", "Blocked senders", "settings-privacy"),
                                 ("Audit log", "Kept two years", "settings-audit")):
        try:
            page.get_by_text(section).first.click()
            shown(page, ready).wait_for()
        except Exception:
            page.screenshot(path=out / "failed-trust-screens.png")  # to see what went wrong; not for the README
            raise
        time.sleep(1)
        page.screenshot(path=out / f"{name}.png")
    context.close()


def rich_screens(app, browser, server, out: Path) -> None:  # type: ignore[no-untyped-def]
    """A payment request (the workspace's card, the customer's page with the QR code), a voice
    note, Settings → Payments, and a bot's choices in the chat on a phone."""
    from tests.mailservers import wait_until

    services = app.services
    sam = next(a for a in services.agents.list() if a.email == "sam@bikeshop.example")
    services.payments.ways.set_bank(Actor.for_agent(sam), "Larsen Bikes GmbH", "DE89370400440532013000", "COBADEFFXXX")
    services.payments.ways.set_link(Actor.for_agent(sam), "https://paypal.me/larsenbikes/{amount}EUR")
    voice = services.files.stage_bytes((ROOT / "tests" / "media" / "voice.ogg").read_bytes(), "voice-note.ogg")
    got = services.conversations.receive(IncomingMessage(
        body="Hi, here is what the brakes sound like. How much would the service be?", email="gerda.gerber@example.com",
        name="Gerda Gerber", subject="Squeaky brakes"), files=[voice])
    services.conversations.reply(got.conversation_id, Actor.for_agent(sam), "That is worn pads: 49.90 EUR with "
                                 "fitting. Pay below and we book you in.", then="open")
    services.payments.request(got.conversation_id, Actor.for_agent(sam), "49.90", "EUR", "Brake service, front and rear")
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = open_app(context, server.url)
    sign_in(page, "sam@bikeshop.example", "demo-password")
    shown(page, "Unassigned").wait_for()
    type_into(page, "Search", "Gerda Gerber")
    page.keyboard.press("Enter")
    shown(page, " for “").wait_for()
    page.get_by_role("button").filter(has_text="Gerda Gerber").first.click()
    shown(page, "Waiting for payment").wait_for()
    page.get_by_role("button", name="Close search").click()
    time.sleep(1.5)
    page.screenshot(path=out / "payment-request-workspace.png")
    page.get_by_role("button", name="Account").or_(page.get_by_role("button", name="Sam")).first.click()
    page.get_by_role("menuitem", name="Settings").click()
    shown(page, "Add an agent").wait_for()
    page.get_by_text("Payments").first.click()
    shown(page, "Card payments (Stripe)").wait_for()
    time.sleep(1)
    page.screenshot(path=out / "settings-payments.png")
    context.close()
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    page = phone.new_page()
    page.goto(f"{server.url}/c/{got.public_token}#pay1")
    page.wait_for_function("document.querySelector('img.qr') && document.querySelector('img.qr').naturalWidth > 0")
    time.sleep(0.5)
    page.screenshot(path=out / "payment-request-customer.png", full_page=True)
    phone.close()

    chat = services.messaging.channels.add("website", "Shop chat", {"origins": ["https://larsenbikes.example"]},
                                            Actor.system())
    bot = services.tokens.create("Order helper", actor=Actor.system(), scopes=["read", "reply"])
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    page = phone.new_page()
    page.goto(f"{server.url}/chat?site={chat.config['key']}")
    page.get_by_label("Your message").fill("Where is my order 1042?")
    page.get_by_role("button", name="Send").click()
    page.locator("[data-helpdesk-chat] .msg.mine").first.wait_for()
    key = chat.config["key"]
    visitor = page.evaluate(f"localStorage.getItem('helpdesk-visitor-{key}')")
    conversation = wait_until(lambda: services.chat.thread(services.chat.visitor(key, visitor)).conversation_id, 20,
                              "the chat")
    services.conversations.reply(conversation, Actor.for_token(bot.token),
                                 "Order 1042 left our workshop today. Anything else?",
                                 choices=["Track the parcel", "Change the address", "Talk to a person"])
    page.locator("[data-helpdesk-chat] .choices button").first.wait_for()
    time.sleep(1)
    page.screenshot(path=out / "chat-choices.png")
    phone.close()


def team_screens(app, browser, server, out: Path) -> None:  # type: ignore[no-untyped-def]
    """Settings → Teams with a workshop that keeps its own hours (a lunch break too), its edit
    dialog, and Settings → Response targets (the shop's week in the same editor)."""
    from datetime import time as clock_time

    from helpdesk.services.calendar import BusinessCalendar
    from helpdesk.services.sla import Policy

    services = app.services
    shop = services.sla.calendar()
    emails = [a.email for a in services.agents.list() if a.email != "sam@bikeshop.example"]
    workshop = services.teams.create("Workshop", emails[:2], Actor.system(), lead=emails[0])
    services.teams.create("Sales", ["sam@bikeshop.example"], Actor.system())
    form = next(t for t in services.tokens.list() if t.name == "Website contact form")
    services.teams.send_new_conversations("token", form.id, "Sales", Actor.system())
    services.sla.set_team_hours(workshop.id, BusinessCalendar(
        timezone=shop.timezone, hours={**{d: ((clock_time(8), clock_time(12)), (clock_time(12, 30), clock_time(17)))
                                          for d in range(5)},
                                       5: ((clock_time(8), clock_time(12)),)}), Actor.system())
    services.sla.set_team_targets(workshop.id, [Policy("urgent", 30, 60, 480, True)], Actor.system())
    page = open_app(browser.new_context(viewport={"width": 1280, "height": 860}), server.url)
    sign_in(page, "sam@bikeshop.example", "demo-password")
    shown(page, "Unassigned").wait_for()
    open_settings(page, "Teams")
    shown(page, "Where new conversations go").wait_for()
    time.sleep(1.5)
    page.screenshot(path=out / "settings-teams.png")
    page.get_by_role("button", name="Edit Workshop", exact=True).click()
    shown(page, "Own business hours (the shop's otherwise)").wait_for()
    page.mouse.move(640, 600)
    page.mouse.wheel(0, 380)  # to the week's hours
    time.sleep(1.5)
    page.screenshot(path=out / "team-hours.png")
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text("Response targets").first.click()  # the shop's own week, in the same editor
    shown(page, "Save targets").wait_for()
    time.sleep(1.5)
    page.screenshot(path=out / "settings-targets.png")


HELP_ARTICLES = [
    ("When to change brake pads", "Repairs", "Check the pads once a month: if the lining is thinner than "
     "1.5 mm, change them.\n\n## Squealing or grinding?\n\n- **Squealing** in the rain is normal.\n"
     "- **Grinding** means metal on metal: stop riding and bring the bike in.\n\nA pad change costs 24.90 EUR "
     "per wheel with fitting, usually while you wait."),
    ("Tubeless tyres: how long does the sealant last?", "Repairs", "About **six months**, less in a hot summer. "
     "Shake the wheel: if nothing sloshes, it is time for a top-up (9.90 EUR)."),
    ("Opening hours and the workshop", "Visiting us", "The shop is open Monday to Friday 9:00-18:00 and "
     "Saturday 9:00-13:00. The workshop opens at 8:00 on weekdays."),
    ("Returns within 30 days", "Orders", "Unused parts in their box come back within 30 days for a full refund: "
     "bring the receipt or the order number."),
]


def help_screens(app, browser, server, out: Path) -> None:  # type: ignore[no-untyped-def]
    """The help center: /help and an article on a phone, Settings → Help center, an article
    suggested in /chat as a visitor types, and the assist panel offering one to the agent."""
    services = app.services
    sam = Actor.for_agent(next(a for a in services.agents.list() if a.email == "sam@bikeshop.example"))
    for title, category, body in HELP_ARTICLES:
        services.articles.create(sam, title, body, category=category, status="published")
    services.articles.create(sam, "Winter storage", "Draft: keep the battery indoors…", category="Repairs")
    services.articles.set_site("Larsen Bikes help", "#b5542f", sam)
    with httpx.Client(base_url=server.url) as visitor:  # a week of visitors, in short
        for _ in range(7):
            visitor.get("/help/repairs/when-to-change-brake-pads")
        visitor.post("/help/repairs/when-to-change-brake-pads/vote", data={"helped": "yes"})
        for words in ("gift voucher", "gift vouchers", "rent an e-bike", "brake"):
            visitor.get("/help/search", params={"q": words})
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    page = phone.new_page()
    page.goto(f"{server.url}/help")
    time.sleep(0.5)
    page.screenshot(path=out / "help-home-phone.png", full_page=True)
    page.goto(f"{server.url}/help/repairs/when-to-change-brake-pads")
    time.sleep(0.5)
    page.screenshot(path=out / "help-article-phone.png", full_page=True)
    chat = services.messaging.channels.add("website", "Shop chat", {"origins": ["https://larsenbikes.example"]},
                                            Actor.system())
    page.goto(f"{server.url}/chat?site={chat.config['key']}")
    page.get_by_label("Your message").fill("My brake pads make a grinding noise, is that bad?")
    page.get_by_text("These might answer it").wait_for()
    time.sleep(0.5)
    page.screenshot(path=out / "chat-suggestions.png")
    phone.close()

    services.conversations.receive(IncomingMessage(
        body="Hi, my brake pads squeal and now they grind a bit. Do I need new ones?", email="ole.hansen@example.com",
        name="Ole Hansen", subject="Grinding brakes"))
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = open_app(context, server.url)
    sign_in(page, "sam@bikeshop.example", "demo-password")
    shown(page, "Unassigned").wait_for()
    type_into(page, "Search", "Ole Hansen")
    page.keyboard.press("Enter")
    shown(page, " for “").wait_for()
    page.get_by_role("button").filter(has_text="Ole Hansen").first.click()
    shown(page, "Help articles").wait_for()
    page.get_by_role("button", name="Close search").click()
    time.sleep(1.5)
    page.screenshot(path=out / "assist-articles.png")
    open_settings(page, "Help center")
    shown(page, "Searched for and not found").wait_for()
    time.sleep(1.5)
    page.screenshot(path=out / "settings-help-center.png")
    context.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", choices=["customer", "trust", "rich", "teams", "help"],
                        help="customer: only what customers see (chat, page); trust: two-step, privacy, spam; "
                             "rich: payments, voice notes, choices; teams: Settings → Teams; help: the help center")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # Listening on loopback only; "public_url" stands in for the address a shop PC would show.
    app = HelpdeskApp(Settings(data_dir=Path(tempfile.mkdtemp()), host="127.0.0.1", port=0,
                               public_url="http://shop-pc:8080")).start()
    fill_demo(app.db, app.settings, app.clock)
    app.start_jobs()
    app.services.promise.set_team_name("Larsen Bikes", Actor.system())  # the name on customers' pages
    app.services.promise.set_logo(demo_logo(), Actor.system())
    app.services.tokens.create("Website contact form", actor=Actor.system())
    app.services.tokens.create("Order bot", actor=Actor.system(), scopes=["read", "reply"], first_responder="web")
    # A loopback address: this script never sends anything off the machine.
    app.services.outbox.create_webhook("http://127.0.0.1:8099/hooks/helpdesk",
                                       ["message.created", "sla.breached"], "CRM", Actor.system(),
                                       allow_local=True)
    with ServerThread(app) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        if args.only:
            {"customer": customer_screens, "trust": trust_screens, "rich": rich_screens, "teams": team_screens,
             "help": help_screens}[args.only](
                app, browser, server, args.out)
            browser.close()
            app.close()
            return 0
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = open_app(context, server.url)
        time.sleep(1)
        page.screenshot(path=args.out / "sign-in.png")
        sign_in(page, "sam@bikeshop.example", "demo-password")
        shown(page, "Unassigned").wait_for()
        time.sleep(1.5)
        page.screenshot(path=args.out / "inbox.png")
        page.get_by_text("Overdue").first.click()
        shown(page, "Overdue · open").wait_for()
        time.sleep(1)
        page.screenshot(path=args.out / "overdue.png")
        page.get_by_text("All").first.click()
        shown(page, "All · open").wait_for()
        # The top open conversation (the demo's topics change with the day), opened by search for
        # its customer (their latest; its row may be below the window's edge after the views
        # above), answered by their name in words that fit any topic.
        top = open_rows(app)[0]
        type_into(page, "Search", top.customer_name)
        page.keyboard.press("Enter")
        shown(page, " for “").wait_for()  # "1 result for “…”" or "3 results for “…”"
        page.get_by_role("button").filter(has_text=top.customer_name).first.click()
        shown(page, top.title).wait_for()
        time.sleep(1.5)
        page.get_by_role("button", name="Close search").click()
        shown(page, "All · open").wait_for()
        time.sleep(1)
        type_into(page, "Reply", f"Hi {top.customer_name.split()[0]}, sorry for the wait: I am on it now and "
                                 "will write again within the hour.")
        time.sleep(1)
        page.screenshot(path=args.out / "conversation.png")
        with_photo = photo_conversation(app)
        if with_photo:  # found by search: its row may be below the window's edge
            type_into(page, "Search", "photo of the label")
            page.keyboard.press("Enter")
            shown(page, "results for").wait_for()
            page.get_by_role("button").filter(has_text=with_photo).first.click()
            shown(page, "label.jpg").wait_for()
            time.sleep(2)
            page.screenshot(path=args.out / "conversation-photo.png")
            page.get_by_role("button", name="Close search").click()
            time.sleep(1)
        type_into(page, "Search", "warranty")
        page.keyboard.press("Enter")
        shown(page, "results for").wait_for()
        time.sleep(1)
        page.screenshot(path=args.out / "search.png")
        page.get_by_role("button", name="Account").or_(page.get_by_role("button", name="Sam")).first.click()
        page.get_by_role("menuitem", name="Reports").click()
        shown(page, "Busiest hours").wait_for()
        time.sleep(1.5)
        page.screenshot(path=args.out / "reports.png")
        page.get_by_role("button", name="Back to the inbox").click()
        shown(page, "Unassigned").wait_for()
        mail_screens(app, page, args.out, then=lambda: phone_screens(app, page, args.out, server))
        page.close()
        page = open_app(context, server.url)  # signed in still: "remember this device"
        shown(page, "Unassigned").wait_for()
        time.sleep(1)
        page.get_by_role("button", name="Account").or_(page.get_by_role("button", name="Sam")).first.click()
        page.get_by_role("menuitem", name="Settings").click()
        shown(page, "Add an agent").wait_for()
        time.sleep(1)
        page.screenshot(path=args.out / "settings-agents.png")
        automation_screens(app, page, args.out)
        for section, ready, name in (("API tokens", "Bots first, then people", "settings-tokens"),
                                     ("Response targets", "Save targets", "settings-targets"),
                                     ("Customer page", "Address customers use", "settings-customer-page"),
                                     ("Webhooks", "Add a webhook", "settings-webhooks"),
                                     ("Jobs", "Work Helpdesk does on its own", "settings-jobs"),
                                     ("Connect a device", "Connect another device", "settings-devices")):
            page.get_by_text(section).first.click()
            shown(page, ready).wait_for()
            time.sleep(1)
            page.screenshot(path=args.out / f"{name}.png")
        page.get_by_role("button", name="Back to the inbox").click()
        shown(page, "Unassigned").wait_for()
        page.get_by_text("Mine").first.click()  # round-robin gave it to Sam
        shown(page, "Mine · open").wait_for()
        time.sleep(1)
        page.get_by_role("button").filter(has_text="Nora Lind").first.click()
        shown(page, "Rule 'Auto-acknowledge' replied").wait_for()
        shown(page, "Solved before").wait_for()
        time.sleep(1.5)
        page.screenshot(path=args.out / "conversation-automatic-reply.png")
        page.get_by_role("button", name="Use this reply").first.click()  # assist: a past answer, to edit
        time.sleep(1.5)
        page.screenshot(path=args.out / "assist-similar.png")
        context.close()

        phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
        page = open_app(phone, server.url)
        sign_in(page, "priya@bikeshop.example", "demo-password")
        shown(page, "Unassigned").wait_for()
        time.sleep(1.5)
        page.screenshot(path=args.out / "phone-inbox.png")
        # The top open one: the demo's topics change with the day (a fixed subject was not there).
        page.get_by_role("button").filter(has_text=open_rows(app)[0].customer_name).first.click()
        time.sleep(2)
        page.screenshot(path=args.out / "phone-conversation.png")
        page.get_by_role("button", name="Conversation actions").click()
        shown(page, "Assign to me").wait_for()
        time.sleep(1)
        page.screenshot(path=args.out / "phone-actions.png")
        phone.close()

        customer_screens(app, browser, server, args.out)
        trust_screens(app, browser, server, args.out)
        browser.close()
    app.close()
    print(f"screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
