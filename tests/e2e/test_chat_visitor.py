"""The website chat as a visitor meets it, in a real Chromium: closed until asked (on a phone
and a desktop), closed again with ×, Escape and its button with the focus back on the button;
the keyboard alone (Enter sends, Shift+Enter a new line, the focus stays in the box); a phone
in landscape, a 320 px screen and a page zoomed to 400 %; the visitor's dark setting; the
shop's name, logo and time; a bot's display name; and axe-core finding nothing on the opened
chat, /chat and the customer's page."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from helpdesk.services.base import Actor
from tests.a11y import needs_axe, violations
from tests.browser import needs_chromium

# The browser's side only: the services it drives run on PostgreSQL in tests/services and tests/api.
pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.sqlite_only]
SHOP_TIME = re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} [A-Z][A-Za-z0-9+-]*$")
LOGO = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                     "1f15c4890000000d49444154789c6360f8cf000000020001e221bc330000000049454e44ae426082")


def chat(page):
    return page.locator("[data-helpdesk-chat]")


def focused_id(page) -> str:
    """The id of the element focused inside the chat's shadow root ("" for none)."""
    return page.evaluate("() => { const h = document.querySelector('[data-helpdesk-chat]');"
                         " const a = h && h.shadowRoot.activeElement; return a ? (a.id || a.className) : ''; }")


def open_chat(page):
    chat(page).get_by_role("button", name="Chat with us").click()
    expect(chat(page).locator("#hd-panel")).to_be_visible()


@pytest.mark.parametrize("size", [(390, 844), (1280, 800)], ids=["phone", "desktop"])
def test_the_chat_is_closed_until_asked_and_closes_with_its_button_and_escape(shop_site, browser, size):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.goto(shop_site["site"] + "/shop.html")
    launch = chat(page).get_by_role("button", name="Chat with us")
    expect(launch).to_be_visible()
    panel = chat(page).locator("#hd-panel")
    expect(panel).to_be_hidden()  # the shop's page is the shop's, until the visitor asks
    assert launch.get_attribute("aria-expanded") == "false"
    assert page.get_by_role("heading", name="Larsen Bikes").is_visible()

    launch.click()
    expect(panel).to_be_visible()
    assert launch.get_attribute("aria-expanded") == "true"
    assert focused_id(page) == "hd-body"  # ready to type
    chat(page).get_by_role("button", name="Close").click()
    expect(panel).to_be_hidden()
    assert focused_id(page) == "launch" and launch.get_attribute("aria-expanded") == "false"

    page.keyboard.press("Enter")  # the focused button opens it again, from the keyboard
    expect(panel).to_be_visible()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    assert focused_id(page) == "launch"
    if size[0] > 480:  # beside the panel on a desktop, the button closes it too
        launch.click()
        expect(panel).to_be_visible()
        launch.click()
        expect(panel).to_be_hidden()
    context.close()


def test_the_keyboard_alone_writes_sends_and_keeps_writing(shop_site, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(shop_site["site"] + "/shop.html")
    open_chat(page)
    page.keyboard.type("Two things:")
    page.keyboard.press("Shift+Enter")  # a new line, not a send
    page.keyboard.type("a bell and a pump")
    expect(chat(page).locator(".msg.mine")).to_have_count(0)
    page.keyboard.press("Enter")
    expect(chat(page).locator(".msg.mine")).to_contain_text("Two things:\na bell and a pump")
    assert chat(page).get_by_label("Your message").input_value() == ""
    assert focused_id(page) == "hd-body"  # the next message is typed at once
    page.keyboard.type("And a lock.")
    page.keyboard.press("Enter")
    expect(chat(page).locator(".msg.mine")).to_have_count(2)
    page.keyboard.press("Escape")  # still works after sending: the focus never fell to the page
    expect(chat(page).locator("#hd-panel")).to_be_hidden()
    context.close()


HIT = """([name, x, y]) => {  // what a finger at (x, y) would touch: the control itself?
    const host = document.querySelector('[data-helpdesk-chat]');
    const hit = host.shadowRoot.elementFromPoint(x, y);
    return !!hit && (hit.textContent || '').trim().endsWith(name);
}"""


def reachable(page, name: str) -> None:
    """A person scrolling with the wheel (or a finger) brings the control into the window, whole
    and on top: nothing clipped, nothing only a script could scroll to."""
    control = chat(page).get_by_role("button", name=name)
    window = page.viewport_size
    page.mouse.move(window["width"] / 2, window["height"] / 2)
    for _ in range(30):
        box = control.bounding_box()
        inside = box and 0 <= box["x"] and box["x"] + box["width"] <= window["width"] \
            and 0 <= box["y"] and box["y"] + box["height"] <= window["height"]
        if inside and page.evaluate(HIT, [name, box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]):
            return
        page.mouse.wheel(0, -120 if box and box["y"] < 0 else 120)
        page.wait_for_timeout(30)
    raise AssertionError(f"{name} cannot be scrolled to in a {window['width']} × {window['height']} window: {box}")


@pytest.mark.parametrize("size", [(320, 256), (320, 200), (640, 400), (844, 390)],
                         ids=["320px", "400%-zoom", "200%-zoom", "landscape"])
def test_a_small_or_zoomed_screen_reaches_every_control_without_sideways_scrolling(shop_site, browser, size):
    # 1280 × 800 at 400 % zoom is a 320 × 200 CSS-pixel window (WCAG 1.4.10 reflow).
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.goto(shop_site["site"] + "/shop.html")
    open_chat(page)
    panel = chat(page).locator("#hd-panel")
    assert panel.evaluate("p => p.scrollWidth <= p.clientWidth")
    for name in ("Close", "Add photos or files", "Send"):
        reachable(page, name)
    box = chat(page).get_by_label("Your message").bounding_box()
    assert box["height"] >= 48 and box["width"] >= 200  # a box to write in, not a sliver
    assert chat(page).get_by_role("log").bounding_box()["height"] >= 60  # and room to read the answers
    chat(page).get_by_label("Your message").fill("Small screen, still works")
    chat(page).get_by_role("button", name="Send").click()
    expect(chat(page).locator(".msg.mine")).to_contain_text("Small screen")
    context.close()

    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.goto(f"{shop_site['url']}/chat?site={shop_site['key']}")
    expect(chat(page).get_by_label("Your message")).to_be_attached()
    for name in ("Add photos or files", "Send"):
        reachable(page, name)
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    context.close()


def colours(page, selector: str) -> tuple[str, str]:
    return tuple(chat(page).locator(selector).evaluate(  # type: ignore[return-value]
        "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]"))


def luminance(css: str) -> float:
    r, g, b = (int(x) for x in re.findall(r"\d+", css)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_chat_follows_the_visitors_light_or_dark_setting_whatever_the_site_says(shop_site, browser, scheme):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme=scheme)
    page = context.new_page()
    page.goto(shop_site["site"] + "/dark.html")  # a site that says `color-scheme: light dark`
    open_chat(page)
    panel_bg, panel_ink = colours(page, "#hd-panel")
    box_bg, box_ink = colours(page, "#hd-body")
    dark = scheme == "dark"
    for background, ink in ((panel_bg, panel_ink), (box_bg, box_ink)):
        assert (luminance(background) < 0.3) is dark, (scheme, background)
        assert (luminance(ink) > 0.7) is dark, (scheme, ink)  # the text stands out from its box
    context.close()

    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme=scheme)
    page = context.new_page()
    page.goto(f"{shop_site['url']}/chat?site={shop_site['key']}")
    expect(chat(page).get_by_label("Your message")).to_be_visible()
    assert (luminance(colours(page, "#hd-panel")[0]) < 0.3) is dark
    link = converse(shop_site, "Dark or light?")
    page.goto(link)
    body_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    box_bg = page.locator("#body").evaluate("e => getComputedStyle(e).backgroundColor")
    assert (luminance(body_bg) < 0.3) is dark and (luminance(box_bg) < 0.3) is dark, (body_bg, box_bg)
    context.close()


def converse(shop_site, text: str) -> str:
    """A customer's conversation (through the intake API), answered; returns its page's link."""
    services = shop_site["app"].services
    token = services.tokens.create("site form", actor=Actor.system(), scopes=["intake"]).plaintext
    posted = httpx.post(shop_site["url"] + "/api/v1/messages", headers={"Authorization": f"Bearer {token}"},
                        json={"customer": {"email": "nora@example.com", "name": "Nora"}, "body": text})
    assert posted.status_code == 201, posted.text
    return posted.json()["conversation_url"]


def test_the_shops_name_logo_and_time_and_a_bots_own_name_on_the_chat_and_the_page(shop_site, browser):
    services = shop_site["app"].services
    admin = Actor.for_agent(shop_site["ann"])
    services.promise.set_team_name("Larsen Bikes", admin)
    services.promise.set_logo(LOGO, admin)
    bot = services.tokens.create("uxr", actor=Actor.system(), scopes=["read", "reply"],
                                 display_name="Larsen Bikes assistant").plaintext
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(shop_site["site"] + "/shop.html")
    open_chat(page)
    expect(chat(page).get_by_role("heading", name="Larsen Bikes")).to_be_visible()
    expect(chat(page).locator(".logo")).to_be_visible()
    chat(page).get_by_label("Your message").fill("Do you fit mudguards?")
    chat(page).get_by_role("button", name="Send").click()
    expect(chat(page).locator(".msg.mine")).to_have_count(1)
    from helpdesk.services.conversations import ConversationFilter

    conversation = services.conversations.list(ConversationFilter()).conversations[0]
    answered = httpx.post(f"{shop_site['url']}/api/v1/conversations/{conversation.id}/replies",
                          headers={"Authorization": f"Bearer {bot}"}, json={"body": "Yes, from 25 EUR."})
    assert answered.status_code == 201, answered.text
    reply = chat(page).locator(".msg:not(.mine)")
    expect(reply).to_contain_text("Yes, from 25 EUR.", timeout=10_000)
    author = reply.locator(".who").inner_text()
    assert author.startswith("Larsen Bikes assistant · ") and "uxr" not in author
    shown_time = reply.locator("time").inner_text()
    assert SHOP_TIME.match(shown_time), shown_time
    link = chat(page).get_by_role("link", name="Open this conversation").get_attribute("href")
    page.goto(link)
    out = page.locator(".msg.out")
    expect(out).to_contain_text("Larsen Bikes assistant")
    assert out.locator("time").inner_text() == shown_time  # one format, one zone, on both
    assert page.locator(".team strong").inner_text() == "Larsen Bikes"
    context.close()


@needs_axe
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_on_the_open_chat_the_chat_page_and_the_customer_page(shop_site, browser, scheme):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme=scheme)
    page = context.new_page()
    page.goto(shop_site["site"] + "/shop.html")
    assert violations(page) == []  # closed
    open_chat(page)
    chat(page).get_by_label("Your message").fill("Is the shop open on Sunday?")
    chat(page).get_by_role("button", name="Send").click()
    expect(chat(page).locator(".msg.mine")).to_have_count(1)
    assert violations(page) == []  # open, with a message
    page.goto(f"{shop_site['url']}/chat?site={shop_site['key']}")  # Helpdesk's own origin: a new visitor
    chat(page).get_by_label("Your message").fill("And on Saturday?")
    chat(page).get_by_role("button", name="Send").click()
    expect(chat(page).locator(".msg.mine")).to_have_count(1)
    assert violations(page) == []
    page.goto(converse(shop_site, "Where is my order?"))
    assert violations(page) == []
    context.close()
