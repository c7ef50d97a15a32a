"""Payment requests, their QR codes and Stripe's events, and what choices cost intake: a real
SQLite file, Helpdesk's server on loopback, a fake Stripe on loopback (tests/fake_stripe.py).

    python bench/payments.py                  # 300 requests
    python bench/payments.py --requests 60    # quicker

Each row is p50 / p95 over the runs, in milliseconds. Results go to docs/performance.md."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpdesk.app import HelpdeskApp, ServerThread  # noqa: E402
from helpdesk.channels.stripe_checkout import StripeCheckout  # noqa: E402
from helpdesk.config import Settings  # noqa: E402
from helpdesk.services.base import Actor  # noqa: E402
from helpdesk.services.conversations import IncomingMessage  # noqa: E402
from tests.fake_stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe  # noqa: E402


def p(values: list[float]) -> str:
    ordered = sorted(values)
    return f"{statistics.median(ordered) * 1000:7.2f} / {ordered[int(len(ordered) * 0.95) - 1] * 1000:7.2f}"


def timed(call) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    os.environ["HELPDESK_MDNS"] = "0"
    app = HelpdeskApp(Settings(data_dir=Path(tempfile.mkdtemp()), host="127.0.0.1", port=0)).start()
    services = app.services
    admin = services.agents.create("ann@shop.example", "Ann", "a long password", role="admin", actor=Actor.system())
    ann = Actor.for_agent(admin)
    stripe = FakeStripe().on()
    services.payments.ways.set_bank(ann, "Larsen Bikes GmbH", "DE89370400440532013000")
    services.payments.ways.set_stripe(ann, SECRET_KEY, WEBHOOK_SECRET, stripe.url)
    bot = {"Authorization": "Bearer " + services.tokens.create("bench", actor=Actor.system(),
                                                              scopes=["intake", "read", "reply"]).plaintext}
    rows: list[tuple[str, str]] = []
    with ServerThread(app) as server, httpx.Client(base_url=server.url, headers=bot) as http:
        talks = [services.conversations.receive(IncomingMessage(body="How much for the brakes?",
                                                                email=f"c{i}@example.com"))
                 for i in range(args.requests)]
        replies = [timed(lambda t=t: http.post(f"/api/v1/conversations/{t.conversation_id}/replies",
                                              json={"body": "49.90 EUR with fitting.", "then": "open"}))
                   for t in talks]
        rows.append(("a plain reply, API (baseline)", p(replies)))
        cards: list[dict] = []
        asks = [timed(lambda t=t: cards.append(http.post(f"/api/v1/conversations/{t.conversation_id}/payment-requests",
                                                         json={"amount": "49.90", "currency": "EUR",
                                                               "description": "Brake service"}).json()))
                for t in talks]
        rows.append(("a payment request, API", p(asks)))
        worker = StripeCheckout(services)
        links = []
        while True:
            started = time.perf_counter()
            made = worker.run_once()
            if not made:
                break
            links += [(time.perf_counter() - started) / len(made)] * len(made)
        rows.append(("its Stripe Checkout link (fake Stripe)", p(links)))
        qr = [timed(lambda c=c, t=t: http.get(f"/c/{t.public_token}/pay/{c['id']}/qr.png"))
              for c, t in zip(cards, talks)]
        rows.append(("the EPC QR code PNG, customer side", p(qr)))
        recent = list(zip(cards, talks))[-200:]  # within the 256 kept in memory
        again = [timed(lambda c=c, t=t: http.get(f"/c/{t.public_token}/pay/{c['id']}/qr.png")) for c, t in recent]
        rows.append(("the same QR code again (kept in memory)", p(again)))
        pages = [timed(lambda t=t: http.get(f"/c/{t.public_token}")) for t in talks]
        rows.append(("the customer's page with the card", p(pages)))
        events = []
        for card in cards:
            session = next(s for s in stripe.created if s["client_reference_id"] == str(card["id"]))
            body, headers = FakeStripe.event(session, event_id=f"evt_{card['id']}", at=int(time.time()))
            events.append(timed(lambda b=body, h=headers: http.post("/api/v1/payments/stripe", content=b, headers=h)))
        rows.append(("Stripe's signed event: marked paid", p(events)))
        plain, answered = [], []
        for i, t in enumerate(talks[: min(100, len(talks))]):
            plain.append(timed(lambda t=t: services.conversations.receive(
                IncomingMessage(body="That is a long message about something else entirely, more than forty "
                                     "characters.", email=f"c{talks.index(t)}@example.com"))))
            services.conversations.reply(t.conversation_id, ann, "When?", choices=["Today", "Tomorrow"])
            answered.append(timed(lambda t=t: services.conversations.receive(
                IncomingMessage(body="2", email=f"c{talks.index(t)}@example.com"))))
        rows.append(("intake, a long message (no choice read)", p(plain)))
        rows.append(("intake, \"2\" read as a choice", p(answered)))
    stripe.off()
    app.close()
    print(f"\n{platform.node()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · "
          f"{args.requests} requests, SQLite\n")
    print(f"| {'what':<42} | {'p50 / p95 ms':>17} |")
    print(f"|{'-' * 44}|{'-' * 19}|")
    for what, value in rows:
        print(f"| {what:<42} | {value:>17} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
