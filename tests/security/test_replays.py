"""The probe's smaller findings, each replayed: what answered 500 with a traceback answers
in words; what a leaked form token or an unsigned request from the internet could do, it no
longer can."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage

SITE = "https://larsen.example"
DEEP = "[" * 1500 + "]" * 1500


@pytest.fixture
def chat(services):
    return services.messaging.channels.add("website", "Site", {"origins": [SITE]}, Actor.system())


@pytest.fixture
def phone(services):
    return services.messaging.channels.add("sms-gateway", "Phone", {"url": "http://sms:pw@192.168.1.50:8080"},
                                           Actor.system())


def token(services, *scopes: str) -> dict[str, str]:
    made = services.tokens.create("t", actor=Actor.system(), scopes=list(scopes)).plaintext
    return {"Authorization": f"Bearer {made}"}


@pytest.mark.parametrize("path", ["/chat?site=é", "/widget/é/thread?visitor=" + "v" * 20, "/chat/poster.png?site=é",
                                  "/files/1/a.png?e=9999999999&v=file&s=é", "/widget/é/events"])
def test_non_ascii_where_a_secret_is_compared_is_a_refusal_not_a_500(client, chat, path):
    answer = client.get(path)
    assert answer.status_code in (403, 404), (path, answer.status_code)


def test_non_ascii_signatures_on_the_webhooks_are_refused(services, client, phone, ann):
    services.messaging.channels.update(phone.id, {"signing_key": "phone-key"}, ann)
    signed = client.post("/api/v1/channels/sms-gateway/Phone", content=b"{}",
                         headers={"X-Signature": "é".encode() * 64, "X-Timestamp": str(int(services.clock.now().timestamp()))})
    assert signed.status_code == 403
    services.messaging.channels.add("twilio", "SMS", {"account_sid": "AC" + "0" * 32, "auth_token": "t",
                                                      "from": "+15550100999"}, ann)
    twilio = client.post("/api/v1/channels/twilio/SMS", data={"From": "+1555"}, headers={"X-Twilio-Signature": "é".encode()})
    assert twilio.status_code == 403


def test_json_nested_a_thousand_levels_is_a_400(services, client, chat):
    intake = client.post("/api/v1/messages", content=DEEP, headers={**token(services, "intake"),
                                                                    "Content-Type": "application/json"})
    widget = client.post(f"/widget/{chat.config['key']}/messages", content=DEEP,
                         params={"visitor": "v" * 20}, headers={"Origin": SITE, "Content-Type": "application/json"})
    assert intake.status_code == 400 and widget.status_code == 400, (intake.text, widget.text)


def test_a_phone_without_a_signing_key_takes_texts_only_from_the_shops_network(app, services, phone):
    body = json.dumps({"event": "sms:received", "id": "e1", "deviceId": "d",
                       "payload": {"message": "I am your customer, honest", "phoneNumber": "+15550100777"}})
    with TestClient(app.asgi, base_url="https://help.larsen.example", client=("93.184.216.34", 4000)) as internet:
        forged = internet.post("/api/v1/channels/sms-gateway/Phone", content=body,
                               headers={"Content-Type": "application/json"})
    assert forged.status_code == 403 and "signing key" in forged.json()["error"]["message"]
    with TestClient(app.asgi, base_url="http://192.168.1.20:8080", client=("192.168.1.50", 4000)) as lan:
        assert lan.post("/api/v1/channels/sms-gateway/Phone", content=body,
                        headers={"Content-Type": "application/json"}).status_code == 200


def test_an_intake_token_does_not_read_a_customers_thread_by_saying_verified(services, client):
    services.conversations.receive(IncomingMessage(body="My card number is on the invoice", email="ann@example.com"))
    message = {"customer": {"email": "ann@example.com", "verified": True}, "body": "Any news?"}
    leaked = client.post("/api/v1/messages", headers=token(services, "intake"), json=message).json()
    assert leaked["conversation_url"] is None
    trusted = client.post("/api/v1/messages", headers=token(services, "intake", "verify"), json=message).json()
    assert trusted["conversation_url"].startswith("http://shop.test/c/")


def test_messages_with_notes_after_a_status_change_are_not_a_500(services, client, ann):
    result = services.conversations.receive(IncomingMessage(body="Hello", email="ida@example.com"))
    services.conversations.add_note(result.conversation_id, ann, "A note")
    services.conversations.set_priority(result.conversation_id, "high", ann)  # a system event in the thread
    services.conversations.set_status(result.conversation_id, "resolved", ann)
    answer = client.get(f"/api/v1/conversations/{result.conversation_id}/messages?include_notes=true",
                        headers=token(services, "read"))
    assert answer.status_code == 200, answer.text
    assert [m["kind"] for m in answer.json()["messages"]] == ["reply", "note"]
