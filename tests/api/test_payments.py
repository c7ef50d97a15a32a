"""Payment requests as an integrator and a customer meet them: asked for through the API, shown
on the customer's page with the EPC069-12 QR code (decoded here and read against the standard),
paid through a fake Stripe whose events are signed as Stripe signs them, or marked by hand."""

from __future__ import annotations

import io
import json

import pytest
import zxingcpp
from PIL import Image

from helpdesk.channels.stripe_checkout import StripeCheckout
from helpdesk.services.base import Actor
from tests.fake_stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe

IBAN = "DE89370400440532013000"


@pytest.fixture
def bot(services):
    token = services.tokens.create("shop bot", actor=Actor.system(), scopes=["intake", "read", "reply"])
    return {"Authorization": f"Bearer {token.plaintext}"}


@pytest.fixture
def stripe():
    fake = FakeStripe().on()
    yield fake
    fake.off()


def conversation(client, bot, email="gerda@example.com"):
    sent = client.post("/api/v1/messages", headers=bot, json={"customer": {"email": email, "name": "Gerda"},
                                                              "body": "How much is the brake service?"})
    assert sent.status_code == 201, sent.text
    return {**sent.json(), "public_token": sent.json()["conversation_url"].rsplit("/", 1)[1]}


def ask(client, bot, conversation_id, amount="49.90", currency="EUR", description="Brake service"):
    return client.post(f"/api/v1/conversations/{conversation_id}/payment-requests", headers=bot,
                       json={"amount": amount, "currency": currency, "description": description})


def decode_qr(png: bytes) -> str:
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert found, "no QR code in the image"
    return found[0].text


def test_a_bank_transfer_request_shows_a_girocode_with_iban_amount_and_reference(client, bot, services, ann):
    first = conversation(client, bot)
    refused = ask(client, bot, first["conversation_id"])
    assert refused.status_code == 409 and "Settings › Payments" in refused.json()["error"]["message"]

    services.payments.ways.set_bank(ann, "Bike Shop Gerber", "de89 3704 0044 0532 0130 00", "COBADEFFXXX")
    asked = ask(client, bot, first["conversation_id"])
    assert asked.status_code == 201, asked.text
    card = asked.json()
    assert card["status"] == "requested" and card["amount"] == "49.90" and card["currency"] == "EUR"
    assert card["reference"].startswith("RF") and card["reference"].endswith(f"{first['conversation_id']}P{card['id']}")
    assert card["pay_url"].endswith(f"/c/{first['public_token']}#pay{card['id']}")

    png = client.get(card["qr_url"].replace(services.links.base_url(), ""))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    lines = decode_qr(png.content).split("\n")
    # EPC069-12: service tag, version, encoding, SCT, BIC, name, IBAN, EUR amount, purpose, reference.
    assert lines[:4] == ["BCD", "002", "1", "SCT"]
    assert lines[4] == "COBADEFFXXX" and lines[5] == "Bike Shop Gerber" and lines[6] == IBAN
    assert lines[7] == "EUR49.9" and lines[9] == card["reference"]

    page = client.get(f"/c/{first['public_token']}").text
    assert "49.90 EUR" in page and "Brake service" in page and "DE89 3704 0044 0532 0130 00" in page
    assert f'src="/c/{first["public_token"]}/pay/{card["id"]}/qr.png"' in page

    listed = client.get(f"/api/v1/conversations/{first['conversation_id']}/payment-requests", headers=bot).json()
    assert [r["id"] for r in listed["payment_requests"]] == [card["id"]]
    thread = client.get(f"/api/v1/conversations/{first['conversation_id']}", headers=bot).json()
    assert thread["status"] == "pending"
    assert [m["payment_request_id"] for m in thread["messages"] if m["direction"] == "out"] == [card["id"]]

    paid = client.post(f"/api/v1/payment-requests/{card['id']}/paid", headers=bot)
    assert paid.status_code == 200 and paid.json()["status"] == "paid" and paid.json()["paid_via"] == "hand"
    page = client.get(f"/c/{first['public_token']}").text
    assert "Paid 2 Mar 2026, 09:00" in page and "qr.png" not in page  # nothing more to scan once paid
    again = client.post(f"/api/v1/payment-requests/{card['id']}/cancel", headers=bot)
    assert again.status_code == 409
    kinds = [e["type"] for e in client.get("/api/v1/events?after=0", headers=bot).json()["events"]]
    assert "payment.requested" in kinds and "payment.paid" in kinds


@pytest.mark.parametrize("amount,currency,field", [
    (49.9, "EUR", "amount"), ("49.999", "EUR", "amount"), ("-1", "EUR", "amount"), ("1.5", "JPY", "amount"),
    ("10", "EURO", "currency"), ("10", "XAU", "currency"), ("abc", "EUR", "amount")])
def test_amounts_are_decimals_in_the_currencys_minor_units(client, bot, services, ann, amount, currency, field):
    services.payments.ways.set_link(ann, "https://paypal.me/bikeshop/{amount}EUR")
    first = conversation(client, bot)
    refused = ask(client, bot, first["conversation_id"], amount=amount, currency=currency)
    assert refused.status_code == 422 and field in refused.json()["error"]["fields"], refused.text


def test_a_bank_account_with_a_wrong_iban_is_refused(services, ann):
    from helpdesk.services.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as bad:
        services.payments.ways.set_bank(ann, "Bike Shop", "DE89370400440532013001")
    assert "iban" in bad.value.fields


def test_stripe_pays_once_and_refuses_forged_and_stale_events(client, bot, services, ann, stripe, clock):
    services.payments.ways.set_stripe(ann, SECRET_KEY, WEBHOOK_SECRET, stripe.url)
    first = conversation(client, bot)
    stripe.off()  # the shop's internet is down
    card = ask(client, bot, first["conversation_id"]).json()
    worker = StripeCheckout(services)
    assert worker.run_once() == ["queued"] and card["stripe_url"] is None
    assert "cannot be reached" in services.payments.get(card["id"]).stripe_error
    assert worker.run_once() == []  # waiting out its backoff
    stripe.on()
    clock.advance(minutes=1)
    assert worker.run_once() == ["ready"] and worker.run_once() == []
    assert len(stripe.created) == 1  # the link went out once
    session = stripe.created[0]
    assert session["client_reference_id"] == str(card["id"]) and session["amount_total"] == 4990
    assert session["currency"] == "eur"
    assert services.payments.get(card["id"]).stripe_url == session["url"]
    card_path = f"/c/{first['public_token']}/pay/{card['id']}/card"
    assert card_path in client.get(f"/c/{first['public_token']}").text
    leads = client.get(card_path, follow_redirects=False)
    assert leads.status_code == 303 and leads.headers["location"] == session["url"]
    # Stripe keeps a session 24 hours; the request stays open 14 days: a fresh one each day, the same
    # lasting link for the customer, and a payment on the earlier session still counts.
    clock.advance(hours=23, minutes=1)
    assert worker.run_once() == ["ready"] and len(stripe.created) == 2
    renewed = stripe.created[1]
    assert renewed["id"] != session["id"] and client.get(card_path, follow_redirects=False).headers["location"] == \
        renewed["url"]

    now = int(clock.now().timestamp())
    body, headers = FakeStripe.event(session, at=now, secret="whsec_someone_else")
    assert client.post("/api/v1/payments/stripe", content=body, headers=headers).status_code == 400
    body, headers = FakeStripe.event(session, at=now - 301)
    assert client.post("/api/v1/payments/stripe", content=body, headers=headers).status_code == 400
    assert services.payments.get(card["id"]).status == "requested"

    body, headers = FakeStripe.event(session, at=now)
    taken = client.post("/api/v1/payments/stripe", content=body, headers=headers)
    assert taken.status_code == 200 and taken.json()["outcome"] == "paid"
    paid = services.payments.get(card["id"])
    assert paid.status == "paid" and paid.paid_via == "stripe"
    clock.advance(minutes=1)
    body, headers = FakeStripe.event(session, at=int(clock.now().timestamp()))
    replayed = client.post("/api/v1/payments/stripe", content=body, headers=headers)
    assert replayed.status_code == 200 and replayed.json()["outcome"] == "duplicate"
    assert services.payments.get(card["id"]).paid_at == paid.paid_at
    thread = client.get(f"/api/v1/conversations/{first['conversation_id']}", headers=bot).json()
    receipts = [m for m in thread["messages"] if m["body"].startswith("Paid ")]
    assert len(receipts) == 1 and "49.90 EUR for Brake service" in receipts[0]["body"]
    assert json.dumps(services.payments.ways.now_set().described()).count("sk_") == 0


def test_reports_show_requested_paid_and_outstanding_per_currency_with_the_csv(client, bot, services, ann, clock,
                                                                                app):
    services.payments.ways.set_link(ann, "https://pay.example/{amount}/{reference}")
    first = conversation(client, bot)
    other = conversation(client, bot, "olaf@example.com")
    paid = ask(client, bot, first["conversation_id"], "49.90").json()
    ask(client, bot, first["conversation_id"], "10.05")
    ask(client, bot, other["conversation_id"], "120", "CHF")
    cancelled = ask(client, bot, other["conversation_id"], "5", "CHF").json()
    assert paid["link_url"] == f"https://pay.example/49.90/{paid['reference']}"
    client.post(f"/api/v1/payment-requests/{paid['id']}/paid", headers=bot)
    client.post(f"/api/v1/payment-requests/{cancelled['id']}/cancel", headers=bot)
    day = clock.now().date().isoformat()
    summary = client.get(f"/api/v1/reports/summary?from={day}&to={day}", headers=bot).json()
    assert summary["payments"] == [
        {"currency": "CHF", "requested": "125.00", "paid": "0.00", "outstanding": "120.00", "requested_count": 2,
         "paid_count": 0, "outstanding_count": 1},
        {"currency": "EUR", "requested": "59.95", "paid": "49.90", "outstanding": "10.05", "requested_count": 2,
         "paid_count": 1, "outstanding_count": 1}]
    csv = client.get(f"/api/v1/reports/summary.csv?from={day}&to={day}", headers=bot).text
    assert "all,payments paid EUR,49.90" in csv and "all,payments outstanding CHF,120.00" in csv
    clock.advance(days=15)  # past the 14 days a request stays open
    assert app.job_runner.run("payments") == "2 payment requests expired"
    later = client.get(f"/api/v1/reports/summary?from={day}&to={day}", headers=bot).json()["payments"]
    assert [m["outstanding"] for m in later] == ["0.00", "0.00"]
    page = client.get(f"/c/{first['public_token']}").text
    assert "Expired" in page and "pay.example" not in page  # nothing left to pay on an expired card


def test_a_customers_export_lists_their_payment_requests_and_erasing_keeps_only_the_shops_books(
        client, bot, services, ann):
    import zipfile

    services.payments.ways.set_bank(ann, "Bike Shop Gerber", IBAN)
    first = conversation(client, bot)
    card = ask(client, bot, first["conversation_id"], "49.90", "EUR", "Brake service for Gerda's blue bike").json()
    out = io.BytesIO()
    services.privacy.export(first["customer_id"], out, ann)
    with zipfile.ZipFile(out) as zf:
        data = json.loads(zf.read("customer.json"))
    [listed] = data["conversations"][0]["payment_requests"]
    assert listed == {"amount": "49.90", "currency": "EUR", "description": "Brake service for Gerda's blue bike",
                      "reference": card["reference"], "status": "requested", "requested_at": listed["requested_at"],
                      "paid_at": None, "paid_via": None}
    services.privacy.erase(first["customer_id"], ann)
    kept = services.payments.get(card["id"])
    assert (kept.amount, kept.currency, kept.reference, kept.description) == ("49.90", "EUR", card["reference"],
                                                                              "(erased)")


def test_the_reference_off_a_bank_statement_finds_its_conversation_in_search(client, bot, services, ann):
    services.payments.ways.set_bank(ann, "Bike Shop Gerber", IBAN)
    first = conversation(client, bot)
    conversation(client, bot, "olaf@example.com")
    card = ask(client, bot, first["conversation_id"]).json()
    statement_line = " ".join(card["reference"][i:i + 4] for i in range(0, len(card["reference"]), 4)).lower()
    [hit, *_] = services.search.search(statement_line)
    assert hit.conversation_id == first["conversation_id"] and "Payment reference" in hit.snippet
    assert services.search.search("RF00 1P1") == []  # wrong check digits: nothing is guessed


def test_a_merged_conversations_payment_request_goes_with_it(client, bot, services, ann):
    services.payments.ways.set_bank(ann, "Bike Shop Gerber", IBAN)
    first = conversation(client, bot)
    card = ask(client, bot, first["conversation_id"]).json()
    services.conversations.set_status(first["conversation_id"], "resolved", ann)
    later = client.post("/api/v1/messages", headers=bot, json={"customer": {"email": "gerda@example.com"},
                                                               "body": "One more thing"}).json()
    assert later["conversation_id"] != first["conversation_id"]
    services.conversations.merge(first["conversation_id"], later["conversation_id"], ann)
    [moved] = services.payments.of_conversation(later["conversation_id"])
    assert moved.id == card["id"] and moved.reference == card["reference"]  # the bank keeps the number it has
    token = services.payments.token_of(later["conversation_id"])
    assert client.get(f"/c/{token}/pay/{card['id']}/qr.png").status_code == 200
    [hit, *_] = services.search.search(card["reference"])
    assert hit.conversation_id == later["conversation_id"]
