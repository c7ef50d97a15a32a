"""The help center in real Chromium, as the issue's story goes: Ann saves a reply as an article
(the phone number in it masked in the draft) and publishes it; a visitor typing in the shop's
website chat is offered it, opens it, says it answered them, and no conversation is made;
another visitor goes on writing, and Ann's thread shows the article they were offered. And
/help read with JavaScript off, with axe-core finding nothing on its pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from helpdesk.services.base import Actor
from helpdesk.services.conversations import ConversationFilter, IncomingMessage
from tests.a11y import needs_axe, violations
from tests.browser import input_values, needs_chromium, open_app, shown, sign_in, type_into
from tests.mailservers import wait_until

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.sqlite_only]
QUESTION = "My brakes squeal when it rains, is that bad?"


def chat(page):
    return page.locator("[data-helpdesk-chat]")


def conversations(app) -> list[int]:
    return [c.id for c in app.services.conversations.list(ConversationFilter()).conversations]


def test_a_reply_becomes_an_article_that_answers_the_next_visitor(shop_site, browser):
    app = shop_site["app"]
    services = app.services
    first = services.conversations.receive(IncomingMessage(
        body="My rear brake squeals in the rain. Normal?", email="lena@example.com", name="Lena Vogel",
        subject="Squealing brakes in the rain")).conversation_id
    services.conversations.reply(first, Actor.for_agent(shop_site["ann"]),
                                 "Hi Lena, brakes squeal in the rain because the pads are wet: that is normal. If "
                                 "they grind, call the workshop on +49 30 1234567 and bring the bike in.")

    agent = open_app(browser.new_context(viewport={"width": 1280, "height": 800}), shop_site["url"])
    sign_in(agent, "ann@shop.example", "ann-password")
    type_into(agent, "Search", "Lena Vogel")  # answered: no longer in the open view
    agent.keyboard.press("Enter")
    agent.get_by_role("button").filter(has_text="Lena Vogel").first.click()
    expect(shown(agent, "that is normal")).to_be_visible()
    agent.get_by_role("button", name="Save as a help article").click()
    expect(shown(agent, "pieces of personal data were masked")).to_be_visible()
    agent.get_by_role("textbox", name="Text (Markdown", exact=False).click()  # Flutter puts a focused field in the page
    body = next(v for v in input_values(agent) if "pads are wet" in v)
    assert "[phone]" in body and "+49" not in body and "Lena" not in body
    agent.get_by_role("switch", name="On the help center").or_(agent.get_by_text("On the help center")).first.click()
    agent.get_by_role("button", name="Save").click()
    expect(shown(agent, "“Squealing brakes in the rain” is on the help center")).to_be_visible()
    [article] = services.articles.all("published")
    assert "+49" not in article.body and article.source_conversation_id == first

    before = conversations(app)
    visitor = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    visitor.goto(shop_site["site"] + "/shop.html")
    chat(visitor).get_by_role("button", name="Chat with us").click()
    chat(visitor).get_by_label("Your message").press_sequentially(QUESTION, delay=5)
    offer = chat(visitor).get_by_role("link", name="Squealing brakes in the rain")
    expect(offer).to_be_visible()
    with visitor.context.expect_page() as opened:
        offer.click()
    article_page = opened.value
    expect(article_page.get_by_role("heading", name="Squealing brakes in the rain", level=1)).to_be_visible()
    chat(visitor).get_by_role("button", name="That answered it").click()
    expect(chat(visitor).get_by_text("Glad that answered it")).to_be_visible()
    assert conversations(app) == before  # nothing to answer: no conversation
    figures = wait_until(lambda: next((a for a in services.help_counts.last_days(1).articles if a.deflected), None),
                         what="the visitor's answer counted")  # the chat tells the server beside the screen
    assert figures.suggested >= 1 and figures.views >= 1

    other = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    other.goto(shop_site["site"] + "/shop.html")
    chat(other).get_by_role("button", name="Chat with us").click()
    box = chat(other).get_by_label("Your message")
    box.press_sequentially(QUESTION + " Mine grind too.", delay=5)
    expect(chat(other).get_by_role("link", name="Squealing brakes in the rain")).to_be_visible()
    box.press("Enter")
    expect(chat(other).get_by_text("Mine grind too.")).to_be_visible()
    [new] = wait_until(lambda: [c for c in conversations(app) if c not in before], what="the visitor's conversation")
    agent.get_by_role("button", name="Close search").click()
    agent.get_by_role("button").filter(has_text="Mine grind too").first.click()
    assert (services.conversations.get(new).messages[0].meta or {}).get("articles_seen", [{}])[0].get("id") == \
        article.id
    expect(shown(agent, "Read before writing: “Squealing brakes in the rain”")).to_be_visible()


@needs_axe
def test_the_help_center_reads_with_javascript_off_and_axe_finds_nothing(shop_site, browser):
    services = shop_site["app"].services
    system = Actor.system()
    services.articles.create(system, "When to change brake pads", "Check the pads every month.\n\n## Grinding\n\n"
                             "Grinding means metal on metal: bring it in.\n\n- Look\n- Listen", category="Repairs",
                             status="published")
    services.articles.create(system, "Opening hours", "Mon-Fri 9:00-18:00.", status="published")
    url = shop_site["url"]
    no_js = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844}).new_page()
    no_js.goto(url + "/help")
    no_js.get_by_role("searchbox", name="Search the help center").fill("grinding")
    no_js.get_by_role("button", name="Search").click()
    expect(no_js.get_by_role("heading", name="1 answer for “grinding”")).to_be_visible()
    no_js.get_by_role("link", name="When to change brake pads").click()
    expect(no_js.get_by_role("heading", name="Grinding", level=2)).to_be_visible()
    no_js.get_by_role("button", name="Yes").click()
    expect(no_js.get_by_text("Glad it helped")).to_be_visible()
    no_js.get_by_role("link", name="Write to us").click()
    expect(no_js.get_by_role("heading", name="Write to us")).to_be_visible()

    checked = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    for path in ("/help", "/help/search?q=brake", "/help/search?q=vouchers", "/help/repairs",
                 "/help/repairs/when-to-change-brake-pads", "/help/ask?article=1"):
        checked.goto(url + path)
        assert violations(checked) == [], path
