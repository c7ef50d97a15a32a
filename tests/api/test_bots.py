"""The agent/bot API: scoped tokens, answering and changing conversations like an agent,
bots answering first and handing over to people, events by long polling, and the example
bot end to end against a real server."""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from helpdesk.app import HelpdeskApp, ServerThread
from helpdesk.config import Settings
from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from tests.conftest import post_message

ROOT = Path(__file__).resolve().parents[2]


def bearer(services, name: str, scopes: list[str], first_responder: str | None = None) -> dict:
    token = services.tokens.create(name, actor=Actor.system(), scopes=scopes, first_responder=first_responder)
    return {"Authorization": f"Bearer {token.plaintext}"}


ROUTES = {  # what each route needs
    "post a message": ("intake", lambda c, h, cid: post_message(c, h, customer={"email": "s@example.com"})),
    "read a conversation": ("read", lambda c, h, cid: c.get(f"/api/v1/conversations/{cid}", headers=h)),
    "read new messages": ("read", lambda c, h, cid: c.get(f"/api/v1/conversations/{cid}/messages", headers=h)),
    "read events": ("read", lambda c, h, cid: c.get("/api/v1/events", headers=h)),
    "reply": ("reply", lambda c, h, cid: c.post(f"/api/v1/conversations/{cid}/replies", headers=h,
                                                json={"body": "Hello", "then": "open"})),
    "note": ("reply", lambda c, h, cid: c.post(f"/api/v1/conversations/{cid}/notes", headers=h, json={"body": "N"})),
    "change": ("reply", lambda c, h, cid: c.patch(f"/api/v1/conversations/{cid}", headers=h, json={"priority": "high"})),
    "hand over": ("reply", lambda c, h, cid: c.post(f"/api/v1/conversations/{cid}/handoff", headers=h,
                                                    json={"reason": "x"})),
}


@pytest.mark.parametrize("scope", ["intake", "read", "reply"])
def test_each_scope_reaches_its_routes_and_nothing_else(client, auth, services, scope):
    cid = post_message(client, auth).json()["conversation_id"]
    headers = bearer(services, f"only {scope}", [scope])
    for name, (needed, call) in ROUTES.items():
        answer = call(client, headers, cid)
        if needed == scope:
            assert answer.status_code < 300, f"{scope}: {name} -> {answer.status_code} {answer.text}"
        else:
            assert answer.status_code == 403, f"{scope}: {name} -> {answer.status_code}"
            assert answer.json()["error"]["code"] == "forbidden" and needed in answer.json()["error"]["message"]


def test_a_bot_answers_like_an_agent_and_is_named_in_the_thread(client, auth, services):
    cid = post_message(client, auth).json()["conversation_id"]
    bot = bearer(services, "Order bot", ["read", "reply"])
    answer = client.post(f"/api/v1/conversations/{cid}/replies", headers=bot, json={
        "body": "Your parcel left today.", "then": "pending", "idempotency_key": "evt-1"})
    assert answer.status_code == 201
    written = answer.json()
    assert written["conversation_status"] == "pending"
    assert written["delivery"] == {"channel": "api", "status": "sent", "error": ""}
    again = client.post(f"/api/v1/conversations/{cid}/replies", headers=bot, json={
        "body": "Your parcel left today.", "then": "pending", "idempotency_key": "evt-1"})
    assert again.status_code == 200 and again.json()["message_id"] == written["message_id"]
    different = client.post(f"/api/v1/conversations/{cid}/replies", headers=bot, json={
        "body": "Something else", "idempotency_key": "evt-1"})
    assert different.status_code == 409
    client.post(f"/api/v1/conversations/{cid}/notes", headers=bot, json={"body": "Tracking 1Z999"})
    detail = client.get(f"/api/v1/conversations/{cid}", headers=auth).json()
    reply = detail["messages"][-1]
    assert reply["author"] == {"type": "bot", "name": "Order bot"} and reply["body"] == "Your parcel left today."
    assert "Tracking" not in str(detail)  # notes are not public, not even in the preview
    assert "Tracking" not in str(client.get("/api/v1/conversations", headers=auth).json())
    later = client.get(f"/api/v1/conversations/{cid}/messages?after={written['message_id']}&include_notes=true",
                       headers=bot).json()
    assert [(m["kind"], m["body"]) for m in later["messages"]] == [("note", "Tracking 1Z999")]
    conversation = services.conversations.get_row(cid)
    assert conversation.first_reply_at is None  # a bot's answer is not the team's first response


def test_patch_changes_everything_together_or_nothing(client, auth, services, ann):
    cid = post_message(client, auth).json()["conversation_id"]
    bot = bearer(services, "Triage bot", ["read", "reply"])
    refused = client.patch(f"/api/v1/conversations/{cid}", headers=bot, json={
        "priority": "urgent", "assignee_email": "nobody@shop.example", "tags": ["refund"]})
    assert refused.status_code == 422 and "assignee_email" in refused.json()["error"]["fields"]
    assert services.conversations.get_row(cid).priority == "normal" and services.conversations.tags_of(cid) == []
    changed = client.patch(f"/api/v1/conversations/{cid}", headers=bot, json={
        "priority": "urgent", "assignee_email": "ANN@shop.example", "tags": ["refund", "vip"], "status": "pending"})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["priority"], body["assignee"]["name"], body["tags"], body["status"]) == \
        ("urgent", "Ann Agent", ["refund", "vip"], "pending")
    unassigned = client.patch(f"/api/v1/conversations/{cid}", headers=bot, json={"assignee_email": None})
    assert unassigned.json()["assignee"] is None
    snooze = client.patch(f"/api/v1/conversations/{cid}", headers=bot, json={"status": "snoozed"})
    assert snooze.status_code == 422 and "snoozed_until" in snooze.json()["error"]["fields"]


@pytest.fixture
def bot_first(client, auth, services):
    """A bot that answers the API channel's new conversations first."""
    headers = bearer(services, "Order bot", ["read", "reply"], first_responder="api")
    return headers


def test_a_bot_answers_first_with_the_teams_clocks_stopped_then_hands_over(client, auth, services, bot_first, ann):
    services.sla.set_policy("normal", 60, 120, 600, False, Actor.system())
    cid = post_message(client, auth, body="Where is order 1042?").json()["conversation_id"]
    row = services.conversations.get_row(cid)
    assert row.bot_token_id is not None and row.response_due_at is None  # no clock while the bot answers
    bot_view = services.inbox.page(__import__("helpdesk.services.inbox", fromlist=["InboxQuery"]).InboxQuery(
        view="bot"), ann.id).rows
    assert [r.id for r in bot_view] == [cid] and bot_view[0].bot_name == "Order bot"
    assert services.inbox.counts(__import__("helpdesk.services.inbox", fromlist=["InboxQuery"]).InboxQuery(),
                                 ann.id)["all"] == 0  # not in the team's views yet
    handed = client.post(f"/api/v1/conversations/{cid}/handoff", headers=bot_first,
                         json={"reason": "asks about a refund"})
    assert handed.status_code == 200 and handed.json()["status"] == "open"
    row = services.conversations.get_row(cid)
    assert row.bot_token_id is None and row.response_due_at is not None  # the clock starts now
    events = [m.body for m in services.conversations.get(cid).messages if m.kind == "event"]
    assert events[-1] == "Order bot handed over: asks about a refund"


def test_a_customer_asking_for_a_person_is_handed_over_at_once(client, auth, services, bot_first):
    cid = post_message(client, auth, body="Hello").json()["conversation_id"]
    post_message(client, auth, body="Can I talk to a human please?")
    assert services.conversations.get_row(cid).bot_token_id is None
    assert services.conversations.get(cid).messages[-1].body == \
        "Order bot handed over: the customer asked for a person"


def test_a_bot_that_leaves_the_customer_waiting_hands_over_by_itself(client, auth, services, bot_first, clock):
    waiting = post_message(client, auth, body="Hello?").json()["conversation_id"]
    answered = post_message(client, auth, customer={"email": "b@example.com"}, body="Hi").json()["conversation_id"]
    client.post(f"/api/v1/conversations/{answered}/replies", headers=bot_first, json={"body": "Hi!", "then": "open"})
    clock.advance(minutes=1)
    assert services.conversations.hand_over_silent() == []
    clock.advance(minutes=2)
    assert services.conversations.hand_over_silent() == [waiting]
    assert services.conversations.get(waiting).messages[-1].body == \
        "Order bot handed over: no answer from the bot for 2 min"
    assert services.conversations.get_row(answered).bot_token_id is not None


def test_an_agent_answering_takes_over_from_the_bot(client, auth, services, bot_first, ann):
    cid = post_message(client, auth, body="Hello").json()["conversation_id"]
    services.conversations.reply(cid, ann, "Ann here, how can I help?", then="open")
    row = services.conversations.get_row(cid)
    assert row.bot_token_id is None and row.first_reply_at is not None
    assert any(m.body == "Ann Agent took over from the bot" for m in services.conversations.get(cid).messages)


def test_events_are_long_polled_with_the_webhook_ids(client, auth, services):
    reader = bearer(services, "script", ["read"])
    start = client.get("/api/v1/events", headers=reader).json()
    assert start["events"] == []
    created = post_message(client, auth, body="Ping").json()
    batch = client.get(f"/api/v1/events?after={start['next']}", headers=reader).json()
    [event] = batch["events"]
    assert event["type"] == "message.received" and event["data"]["body"] == "Ping"
    assert event["data"]["conversation_id"] == created["conversation_id"]
    outbox_ids = [e.event_id for e in services.outbox.events_after(0)]
    assert event["id"] in outbox_ids  # the id a webhook's X-Helpdesk-Event-Id carries
    assert client.get(f"/api/v1/events?after={batch['next']}", headers=reader).json()["events"] == []
    # A cursor past any event there can be (found by the fuzzer on PostgreSQL: an integer overflow, 500)
    beyond = client.get("/api/v1/events?after=3000000000", headers=reader)
    assert beyond.status_code == 200 and beyond.json()["events"] == []


def test_a_long_poll_answers_as_soon_as_something_happens(data_dir, database_url):
    app = HelpdeskApp(Settings(data_dir=data_dir, database_url=database_url, host="127.0.0.1", port=0)).start()
    headers = bearer(app.services, "script", ["read", "intake"])
    try:
        with ServerThread(app) as server:
            cursor = httpx.get(server.url + "/api/v1/events", headers=headers).json()["next"]
            threading.Timer(0.5, lambda: httpx.post(server.url + "/api/v1/messages", headers=headers, json={
                "customer": {"email": "w@example.com"}, "body": "wake up"})).start()
            started = time.monotonic()
            answer = httpx.get(f"{server.url}/api/v1/events?after={cursor}&wait=20", headers=headers, timeout=30)
            took = time.monotonic() - started
            assert [e["data"]["body"] for e in answer.json()["events"]] == ["wake up"]
            assert 0.4 < took < 5
    finally:
        app.close()


@pytest.mark.slow
def test_the_example_bot_answers_orders_and_hands_the_rest_over(data_dir, database_url, tmp_path):
    app = HelpdeskApp(Settings(data_dir=data_dir, database_url=database_url, host="127.0.0.1", port=0)).start()
    bot_token = app.services.tokens.create("Order bot", actor=Actor.system(), scopes=["read", "reply"],
                                           first_responder="web").plaintext
    orders = tmp_path / "orders.csv"
    orders.write_text("order,status\n1042,shipped on Monday with DHL\n1043,waiting for the rear light\n")
    try:
        with ServerThread(app) as server:
            bot = subprocess.Popen([sys.executable, str(ROOT / "examples" / "order_bot.py"), str(orders)],
                                   env={**os.environ, "HELPDESK_URL": server.url, "HELPDESK_TOKEN": bot_token},
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            try:
                ready = selectors.DefaultSelector()
                ready.register(bot.stdout, selectors.EVENT_READ)
                assert ready.select(timeout=20), "the bot never said it was listening"
                assert bot.stdout.readline().startswith("listening for events after"), bot.stdout.read()
                order = app.services.conversations.receive(IncomingMessage(
                    body="Hi, where is my order 1042?", email="o@example.com", channel="web")).conversation_id
                other = app.services.conversations.receive(IncomingMessage(
                    body="I'd like a refund for my helmet", email="r@example.com", channel="web")).conversation_id
                deadline = time.monotonic() + 20
                while True:
                    answered = [m.body for m in app.services.conversations.get(order).messages if m.author_token_id]
                    handed = app.services.conversations.get_row(other).bot_token_id is None
                    if answered and handed:
                        break
                    assert bot.poll() is None, bot.stdout.read()
                    assert time.monotonic() < deadline, f"bot did nothing: {answered}, {handed}"
                    time.sleep(0.2)
                assert answered[0].startswith("Order 1042: shipped on Monday with DHL")
                assert app.services.conversations.get_row(order).bot_token_id is not None  # still the bot's
                assert app.services.conversations.get(other).messages[-1].body == \
                    "Order bot handed over: not a question about an order's status"
            finally:
                bot.terminate()
                bot.wait(timeout=10)
    finally:
        app.close()
