"""Outbound webhooks against a real HTTP receiver on loopback that fails and recovers."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from helpdesk.app import HelpdeskApp
from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.outbox import backoff, verify


class Receiver:
    """A webhook receiver: answers with the queued statuses (then 200) and records every request."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.requests: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/helpdesk"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def delivered(self) -> list[dict]:
        """Events the receiver accepted (answered 2xx), de-duplicated by event id as a receiver would."""
        seen, events = set(), []
        for _headers, body in self.requests:
            event = json.loads(body)
            if event["id"] not in seen:
                seen.add(event["id"])
                events.append(event)
        return events

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def make_webhook(services, url, ann):
    # The receivers in these tests listen on loopback: the admin allows local targets.
    return services.outbox.create_webhook(url, ["message.created", "sla.breached"], "CRM", ann, allow_local=True)


def test_replies_are_signed_and_delivered_once(services, ann, receiver):
    hook = make_webhook(services, receiver.url, ann)
    cid = services.conversations.receive(IncomingMessage(body="hi", email="c@example.com", name="Cleo")).conversation_id
    services.conversations.reply(cid, ann, "Hello Cleo")
    assert services.outbox.deliver_due() == 1
    assert services.outbox.deliver_due() == 0  # nothing left: delivered means done
    (headers, body), = receiver.requests
    assert verify(hook.secret, headers["X-Helpdesk-Timestamp"], body, headers["X-Helpdesk-Signature"])
    assert not verify("another secret", headers["X-Helpdesk-Timestamp"], body, headers["X-Helpdesk-Signature"])
    event = json.loads(body)
    assert event["type"] == "message.created" and headers["X-Helpdesk-Event-Id"] == event["id"]
    assert event["data"]["body"] == "Hello Cleo" and event["data"]["customer"]["email"] == "c@example.com"
    assert event["data"]["author"] == {"type": "agent", "id": ann.id, "name": "Ann Agent"}


def test_a_receiver_down_across_a_restart_gets_every_reply_once_and_in_order(settings, clock, receiver):
    app = HelpdeskApp(settings, clock=clock).start()
    ann_agent = app.services.agents.create("ann@shop.example", "Ann", "long password", role="admin",
                                              actor=Actor.system())
    ann = Actor("admin", ann_agent.id, "Ann")
    make_webhook(app.services, receiver.url, ann)
    cid = app.services.conversations.receive(IncomingMessage(body="hi", email="c@example.com")).conversation_id
    receiver.statuses = [503, 503]  # down
    for text in ("first", "second", "third"):
        app.services.conversations.reply(cid, ann, text, then="open")
    assert app.services.outbox.deliver_due() == 1  # only the oldest of a conversation is tried
    assert app.services.outbox.deliver_due() == 0  # the rest wait behind it; it waits for its backoff
    app.close()  # the server restarts while the receiver is still down

    app = HelpdeskApp(settings, clock=clock).start()
    try:
        for _ in range(20):
            clock.advance(minutes=61)  # past any backoff
            app.services.outbox.deliver_due()
        assert [e["data"]["body"] for e in receiver.delivered()] == ["first", "second", "third"]
        assert len(receiver.requests) == 2 + 3  # two refusals, then each event exactly once
        assert app.services.outbox.pending_count() == 0
    finally:
        app.close()


def test_backoff_grows_with_jitter_and_caps_at_an_hour():
    import random
    rng = random.Random(3)
    delays = [backoff(n, rng).total_seconds() for n in range(1, 15)]
    assert 4 <= delays[0] <= 6 and 8 <= delays[1] <= 12
    assert max(delays) <= 3600 * 1.2 and delays[-1] >= 3600 * 0.8


def test_sla_breaches_go_out_too(services, ann, clock, receiver):
    make_webhook(services, receiver.url, ann)
    services.conversations.receive(IncomingMessage(body="hello?", email="w@example.com"))
    clock.advance(days=1)
    services.sla.scan()
    services.outbox.deliver_due()
    assert [e["type"] for e in receiver.delivered()] == ["sla.breached"]
    assert receiver.delivered()[0]["data"]["target"] == "first_response"


def test_the_worker_thread_delivers_without_being_asked(settings, receiver):
    app = HelpdeskApp(settings).start().start_jobs()
    try:
        agent = app.services.agents.create("ann@shop.example", "Ann", "long password", role="admin",
                                              actor=Actor.system())
        ann = Actor("admin", agent.id, "Ann")
        make_webhook(app.services, receiver.url, ann)
        cid = app.services.conversations.receive(IncomingMessage(body="hi", email="c@example.com")).conversation_id
        app.services.conversations.reply(cid, ann, "on its way")
        deadline = time.monotonic() + 5
        while not receiver.delivered():
            assert time.monotonic() < deadline, "the outbox worker did not deliver"
            time.sleep(0.05)
    finally:
        app.close()


def test_a_disabled_webhook_gets_nothing_and_bad_urls_are_refused(services, ann, receiver):
    from helpdesk.services.errors import ValidationFailed
    hook = make_webhook(services, receiver.url, ann)
    services.outbox.set_active(hook.id, False, ann)
    cid = services.conversations.receive(IncomingMessage(body="hi", email="c@example.com")).conversation_id
    services.conversations.reply(cid, ann, "quiet")
    assert services.outbox.deliver_due() == 0 and receiver.requests == []
    with pytest.raises(ValidationFailed):
        services.outbox.create_webhook("ftp://example", ["message.created"], "", ann)


def test_editing_a_webhook_sends_pending_deliveries_to_the_new_address(services, ann, receiver):
    hook = services.outbox.create_webhook("http://127.0.0.1:9/unreachable", ["message.created"], "old", ann,
                                          allow_local=True)
    cid = services.conversations.receive(IncomingMessage(body="hi", email="c@example.com")).conversation_id
    services.conversations.reply(cid, ann, "moved")
    services.outbox.update_webhook(hook.id, receiver.url, ["message.created", "sla.breached"], "new", ann,
                                   allow_local=True)
    services.outbox.deliver_due()
    assert [e["data"]["body"] for e in receiver.delivered()] == ["moved"]
    assert services.outbox.webhooks()[0].events == ["message.created", "sla.breached"]


def test_a_test_send_is_heard_as_soon_as_it_is_tried_so_settings_can_show_it(services, ann, receiver):
    """Settings → Webhooks → Send test redraws when the outbox has tried the test (no guessing how
    long that takes): the bus says which webhook was tried and whether it got through."""
    heard = []
    services.events.subscribe(heard.append, {"webhook.attempted"})
    hook = make_webhook(services, receiver.url, ann)
    down = make_webhook(services, "http://127.0.0.1:9/", ann)  # nothing listens on the discard port
    services.outbox.send_test(hook.id, ann)
    services.outbox.send_test(down.id, ann)
    assert heard == []
    assert services.outbox.deliver_due() == 2
    assert sorted((e.data["webhook_id"], e.data["delivered"]) for e in heard) == [(hook.id, True), (down.id, False)]
