"""The website chat in a real Chromium: a shop's page on one loopback port embeds the chat
from Helpdesk on another; a visitor writes, an agent answers in the real workspace, and the
answer appears in the chat without a reload; a reload keeps the thread; a signed-in user
sees the same history in another browser; the page's CSS does not reach the chat."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import needs_chromium, open_app, sign_in, type_into

pytestmark = [pytest.mark.browser, needs_chromium]


def chat_send(page, text: str, email: str = "") -> None:
    page.get_by_role("button", name="Chat with us").click()
    page.get_by_label("Your message").fill(text)
    if email:
        page.get_by_label("Your email (optional)").fill(email)
    page.get_by_role("button", name="Send").click()


def test_a_visitor_chats_an_agent_answers_live_and_a_reload_keeps_the_thread(shop_site, browser):
    visitor = browser.new_context(viewport={"width": 1100, "height": 760})
    page = visitor.new_page()
    page.goto(shop_site["site"] + "/index.html")
    chat_send(page, "Do you have a 52 cm road frame in stock?", email="nora@example.com")
    bubble = page.locator("[data-helpdesk-chat] .msg.mine").first
    expect(bubble).to_contain_text("Do you have a 52 cm road frame in stock?")
    # The shop's CSS paints everything red at 40px; inside the chat it does not apply.
    assert bubble.evaluate("e => getComputedStyle(e).color") != "rgb(255, 0, 0)"
    assert bubble.evaluate("e => getComputedStyle(e).fontSize") == "15px"

    agent = browser.new_context(viewport={"width": 1280, "height": 800})
    workspace = open_app(agent, shop_site["url"])
    sign_in(workspace, "ann@shop.example", "ann-password")
    workspace.get_by_text("nora@example.com").first.click()
    type_into(workspace, "Reply", "Yes: a Cannondale CAAD in 52, 640 €.")
    expect(page.locator("[data-helpdesk-chat]").get_by_text("Ann Agent is typing")).to_be_visible(timeout=10_000)
    workspace.get_by_role("button", name="Send and set pending").click()
    expect(page.locator("[data-helpdesk-chat] .msg:not(.mine)")).to_contain_text("Yes: a Cannondale CAAD in 52",
                                                                                 timeout=10_000)
    page.screenshot(path=str(shop_site["app"].settings.data_dir / "widget.png"))
    page.reload()
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator("[data-helpdesk-chat] .msg")).to_have_count(2)
    expect(page.locator("[data-helpdesk-chat]").get_by_text("Open this conversation")).to_be_visible()
    agent.close()
    visitor.close()


def test_a_signed_in_member_sees_their_history_on_another_device_and_a_forged_hash_gets_nothing(shop_site, browser):
    laptop = browser.new_context()
    page = laptop.new_page()
    page.goto(shop_site["site"] + "/account.html")
    chat_send(page, "Member 7 here: can I change my order?")
    expect(page.locator("[data-helpdesk-chat] .msg.mine")).to_have_count(1)
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    other = phone.new_page()
    other.goto(shop_site["site"] + "/account.html")
    other.get_by_role("button", name="Chat with us").click()
    expect(other.locator("[data-helpdesk-chat] .msg.mine")).to_contain_text("Member 7 here")
    forged = phone.new_page()
    forged.goto(shop_site["site"] + "/forged.html")
    chat_send(forged, "let me in")
    expect(forged.locator("[data-helpdesk-chat] .error")).to_contain_text("does not verify")
    expect(forged.locator("[data-helpdesk-chat] .msg")).to_have_count(0)
    laptop.close()
    phone.close()


def test_the_chat_page_for_the_shop_counter_on_a_phone(shop_site, browser):
    key = shop_site["app"].services.messaging.channels.all()[0].config["key"]
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    page = phone.new_page()
    page.goto(f"{shop_site['url']}/chat?site={key}")
    page.get_by_label("Your message").fill("Is the workshop open on Sunday?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("[data-helpdesk-chat] .msg.mine")).to_contain_text("Sunday")
    page.screenshot(path=str(shop_site["app"].settings.data_dir / "chat-page.png"))
    phone.close()
