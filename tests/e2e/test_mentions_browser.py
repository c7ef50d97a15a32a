"""Mentions in two real browsers: Ann types "@to" in the reply box, picks Tom from what it
offers and adds the internal note; Tom, in his own browser on another conversation, sees the
note announced and his Mentions count go up within half a second; opening the conversation
from his Mentions view clears it."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from helpdesk.app import HelpdeskApp, ServerThread
from helpdesk.config import Settings
from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from tests.browser import needs_chromium, open_app, shown, sign_in, type_into

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.sqlite_only]


@pytest.fixture
def shop(tmp_path):
    app = HelpdeskApp(Settings(data_dir=tmp_path / "data", host="127.0.0.1", port=0)).start()
    services = app.services
    services.agents.create("ann@shop.example", "Ann Owner", "ann-password", role="admin", actor=Actor.system())
    tom = services.agents.create("tom@shop.example", "Tom Mechanic", "tom-password", actor=Actor.system())
    for email, name, body in (("gia@example.com", "Gia Rossi", "My rear brake squeals since the service."),
                              ("hal@example.com", "Hal Berg", "Can you true my front wheel?")):
        services.conversations.receive(IncomingMessage(body=body, email=email, name=name))
    with ServerThread(app) as server:
        yield {"app": app, "url": server.url, "tom": tom}
    app.close()


def test_ann_mentions_tom_who_is_told_at_once_and_opening_it_clears_it(shop, browser):
    ann_ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    tom_ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        tom = open_app(tom_ctx, shop["url"])
        sign_in(tom, "tom@shop.example", "tom-password")
        tom.get_by_text("Hal Berg").first.click()  # busy with another customer
        expect(shown(tom, "Can you true my front wheel?")).to_be_visible()
        expect(shown(tom, "Mentions 0")).to_be_visible()

        ann = open_app(ann_ctx, shop["url"])
        sign_in(ann, "ann@shop.example", "ann-password")
        ann.get_by_text("Gia Rossi").first.click()
        expect(shown(ann, "My rear brake squeals since the service.")).to_be_visible()
        type_into(ann, "Reply", "@to")
        ann.get_by_role("button", name="@Tom Mechanic").click()
        reply = ann.get_by_role("textbox", name="Reply")
        reply.click()
        time.sleep(0.3)  # let Flutter move the focus back from the button before the keys arrive
        reply.press("Control+End")
        reply.press_sequentially("can you check the pads today?")
        committed: list[float] = []
        shop["app"].services.events.subscribe(lambda e: committed.append(time.monotonic()), {"mention.created"})
        ann.get_by_role("button", name="Add internal note").click()
        toast, count = shown(tom, "Ann Owner mentioned you in #1"), shown(tom, "Mentions 1")
        deadline = time.monotonic() + 5
        while not (committed and toast.is_visible() and count.is_visible()):  # checked as fast as the page answers
            assert time.monotonic() < deadline, "Tom was not told within 5 s"
        took = time.monotonic() - committed[0]
        print(f"mention shown in Tom's browser {took:.2f} s after the note was stored")
        # 0.17-0.31 s here on an idle machine (the aim is 0.5 s); `make test` runs the PostgreSQL
        # pass beside this one, so the bound leaves room for a busy machine's scheduling.
        assert took < 1.0, f"{took:.2f} s"
        expect(shown(ann, "@Tom Mechanic can you check the pads today?")).to_be_visible()
        [mention] = shop["app"].services.mentions.of_agent(shop["tom"].id)
        assert mention.body == "@Tom Mechanic can you check the pads today?" and not mention.read

        tom.get_by_text("Mentions 1").first.click()
        expect(shown(tom, "Mentions (1 unread)")).to_be_visible()
        tom.get_by_text("Gia Rossi").first.click()
        expect(shown(tom, "@Tom Mechanic can you check the pads today?")).to_be_visible()
        expect(shown(tom, "Mentions 0")).to_be_visible(timeout=5_000)
        assert shop["app"].services.mentions.unread_count(shop["tom"].id) == 0
    finally:
        ann_ctx.close()
        tom_ctx.close()
