"""The intake API v1 contract, in-process (see test_server.py for a real server)."""

import json

import pytest
from fastapi.testclient import TestClient

from helpdesk.app import HelpdeskApp

from helpdesk.config import MAX_REQUEST_BYTES
from helpdesk.services.base import Actor
from tests.conftest import post_message


def error_of(response):
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


def test_health_needs_no_token_and_reports_the_version(client):
    from helpdesk import __version__
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}


def test_missing_or_wrong_token_is_401(client, auth):
    assert post_message(client, {}).status_code == 401
    assert post_message(client, {"Authorization": "Bearer hd_wrong"}).status_code == 401
    assert post_message(client, {"Authorization": auth["Authorization"].replace("Bearer", "Basic")}).status_code == 401
    response = client.get("/api/v1/conversations")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_revoked_token_stops_working(client, services):
    created = services.tokens.create("temporary", actor=Actor.system())
    headers = {"Authorization": f"Bearer {created.plaintext}"}
    assert client.get("/api/v1/conversations", headers=headers).status_code == 200
    services.tokens.revoke(created.token.id, actor=Actor.system())
    assert client.get("/api/v1/conversations", headers=headers).status_code == 401


def test_tokens_are_stored_hashed(services, app):
    created = services.tokens.create("website", actor=Actor.system())
    from sqlalchemy import text
    with app.db.read() as s:
        stored = s.execute(text("SELECT token_hash FROM api_token WHERE id = :i"), {"i": created.token.id}).scalar()
    assert created.plaintext not in stored and len(stored) == 64


def test_posting_a_message_creates_the_thread(client, auth):
    response = post_message(client, auth, subject="Order 1042", channel="sms")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"message_id", "conversation_id", "customer_id", "conversation_status", "conversation_url",
                         "link_sent"}
    assert body["conversation_status"] == "open"
    assert body["conversation_url"].startswith("http://shop.test/c/")
    token = body["conversation_url"].rsplit("/", 1)[1]
    assert len(token) >= 32  # 192 random bits, url-safe base64
    conversation = client.get(f"/api/v1/conversations/{body['conversation_id']}", headers=auth).json()
    assert conversation["subject"] == "Order 1042"
    assert conversation["channel"] == "sms"
    assert conversation["customer"]["email"] == "carol@example.com"
    assert [(m["direction"], m["body"]) for m in conversation["messages"]] == [("in", "My order has not arrived")]


def test_the_conversation_shows_public_messages_only_in_order(client, auth, services, ann):
    first = post_message(client, auth).json()
    services.conversations.add_note(first["conversation_id"], ann, "internal: customer is grumpy")
    services.conversations.reply(first["conversation_id"], ann, "It ships today")
    post_message(client, auth, body="Thanks!")
    conversation = client.get(f"/api/v1/conversations/{first['conversation_id']}", headers=auth).json()
    assert [(m["direction"], m["body"]) for m in conversation["messages"]] == [
        ("in", "My order has not arrived"), ("out", "It ships today"), ("in", "Thanks!")]
    assert conversation["messages"][1]["author"] == {"type": "agent", "name": "Ann Agent"}
    assert "grumpy" not in json.dumps(conversation)


def test_the_same_idempotency_key_returns_the_first_answer_and_adds_nothing(client, auth):
    first = post_message(client, auth, idempotency_key="order-1042-msg-1")
    again = post_message(client, auth, idempotency_key="order-1042-msg-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    via_header = client.post("/api/v1/messages", json={"customer": {"email": "carol@example.com"},
                                                       "body": "My order has not arrived"},
                             headers={**auth, "Idempotency-Key": "hdr-1"})
    via_header_again = client.post("/api/v1/messages", json={"customer": {"email": "carol@example.com"},
                                                             "body": "My order has not arrived"},
                                   headers={**auth, "Idempotency-Key": "hdr-1"})
    assert via_header.status_code == 201 and via_header_again.status_code == 200
    conversation = client.get(f"/api/v1/conversations/{first.json()['conversation_id']}", headers=auth).json()
    assert len(conversation["messages"]) == 2  # one per key


def test_an_idempotency_key_reused_for_another_message_is_409(client, auth):
    post_message(client, auth, idempotency_key="k1")
    response = post_message(client, auth, idempotency_key="k1", body="something else")
    assert response.status_code == 409
    assert error_of(response)["fields"] == {"idempotency_key": "already used for a different message"}


def test_missing_identifier_is_422_naming_the_field(client, auth):
    response = client.post("/api/v1/messages", json={"customer": {"name": "No Contact"}, "body": "hi"}, headers=auth)
    assert response.status_code == 422
    assert "customer" in error_of(response)["fields"]


def test_empty_body_is_422_naming_the_field(client, auth):
    for body in ("", "   \n "):
        response = post_message(client, auth, body=body)
        assert response.status_code == 422
        assert error_of(response)["fields"]["body"] == "must not be empty"


def test_bad_identifiers_are_422_naming_each_field(client, auth):
    response = client.post("/api/v1/messages", headers=auth, json={
        "customer": {"email": "not-an-email", "phone": "call me"}, "body": "hi"})
    assert response.status_code == 422
    fields = error_of(response)["fields"]
    assert set(fields) >= {"customer.email", "customer.phone"}


def test_wrong_types_and_unknown_fields_are_422(client, auth):
    response = client.post("/api/v1/messages", headers=auth, json={
        "customer": {"email": "a@example.com"}, "body": 42, "conversation": 3})
    assert response.status_code == 422
    fields = error_of(response)["fields"]
    assert "body" in fields and fields["conversation"] == "is not a known field"
    huge = post_message(client, auth, conversation_id=10**30)
    assert huge.status_code == 422 and "conversation_id" in error_of(huge)["fields"]


def test_malformed_json_is_400(client, auth):
    response = client.post("/api/v1/messages", content=b'{"customer": {', headers={
        **auth, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_json"
    empty = client.post("/api/v1/messages", content=b"", headers={**auth, "Content-Type": "application/json"})
    assert empty.status_code == 400


@pytest.fixture
def small(settings, clock):
    """An app whose messages may carry at most 1 MB of files (the default is 50)."""
    app = HelpdeskApp(settings.with_overrides(max_message_mb=1, max_file_mb=1), clock=clock).start()
    token = app.services.tokens.create("small", actor=Actor.system()).plaintext
    with TestClient(app.asgi, base_url="http://testserver") as client:
        yield client, {"Authorization": f"Bearer {token}"}
    app.close()


def test_a_request_over_its_limit_is_413_and_stores_nothing(small):
    client, auth = small
    over = 1_000_000 * 4 // 3 + MAX_REQUEST_BYTES + 10  # a message's files in base64, plus the JSON around them
    response = post_message(client, auth, body="x" * over)
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"
    assert client.get("/api/v1/conversations", headers=auth).json()["conversations"] == []
    # Routes that take no files keep the small limit.
    assert client.patch("/api/v1/conversations/1", content=b"{" + b" " * MAX_REQUEST_BYTES + b"}",
                        headers={**auth, "Content-Type": "application/json"}).status_code == 413
    # A long text within the limit is refused for what it is.
    too_long = post_message(client, auth, body="x" * 100_001)
    assert too_long.status_code == 422 and "body" in error_of(too_long)["fields"]


def test_a_chunked_request_over_the_limit_is_413(small):
    client, auth = small

    def chunks():
        yield b'{"customer": {"email": "a@example.com"}, "body": "'
        for _ in range(40):
            yield b"y" * 65536
        yield b'"}'
    response = client.post("/api/v1/messages", content=chunks(), headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 413


def test_another_customers_conversation_is_404_like_a_missing_one(client, auth):
    theirs = post_message(client, auth, customer={"email": "them@example.com"}).json()
    mine = post_message(client, auth, customer={"email": "me@example.com"},
                        conversation_id=theirs["conversation_id"])
    missing = post_message(client, auth, customer={"email": "me@example.com"}, conversation_id=987654)
    assert mine.status_code == missing.status_code == 404
    assert error_of(mine)["code"] == error_of(missing)["code"] == "not_found"
    assert str(theirs["conversation_id"]) in error_of(mine)["message"]
    assert error_of(missing)["message"] == error_of(mine)["message"].replace(str(theirs["conversation_id"]), "987654")
    assert client.get("/api/v1/conversations?customer_email=me@example.com", headers=auth).json()["conversations"] == []


def test_get_unknown_conversation_is_404(client, auth):
    response = client.get("/api/v1/conversations/424242", headers=auth)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_list_filters_by_status_and_customer_email(client, auth, services, ann):
    a = post_message(client, auth, customer={"email": "a@example.com"}).json()
    b = post_message(client, auth, customer={"email": "B@Example.com"}).json()
    services.conversations.reply(a["conversation_id"], ann, "Answer", then="pending")
    pending = client.get("/api/v1/conversations?status=pending", headers=auth).json()["conversations"]
    assert [c["id"] for c in pending] == [a["conversation_id"]]
    by_email = client.get("/api/v1/conversations", params={"customer_email": "b@example.COM"}, headers=auth).json()
    assert [c["id"] for c in by_email["conversations"]] == [b["conversation_id"]]
    bad = client.get("/api/v1/conversations?status=lost", headers=auth)
    assert bad.status_code == 422 and "status" in error_of(bad)["fields"]


def test_list_pages_with_a_cursor(client, auth):
    for i in range(5):
        post_message(client, auth, customer={"email": f"p{i}@example.com"})
    first = client.get("/api/v1/conversations?limit=2", headers=auth).json()
    second = client.get(f"/api/v1/conversations?limit=2&cursor={first['next_cursor']}", headers=auth).json()
    assert len(first["conversations"]) == len(second["conversations"]) == 2
    assert first["conversations"][-1]["id"] > second["conversations"][0]["id"]
    assert client.get("/api/v1/conversations?limit=1000", headers=auth).status_code == 422


def test_unknown_api_routes_answer_json(client, auth):
    response = client.get("/api/v1/nothing-here", headers=auth)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    wrong_method = client.delete("/api/v1/messages", headers=auth)
    assert wrong_method.status_code == 405


def test_the_openapi_document_describes_every_route_and_scope(client):
    spec = client.get("/api/openapi.json").json()
    assert spec["info"]["title"] == "Helpdesk API"
    assert {"/api/v1/health", "/api/v1/messages", "/api/v1/conversations",
            "/api/v1/conversations/{conversation_id}", "/api/v1/conversations/{conversation_id}/replies",
            "/api/v1/conversations/{conversation_id}/notes", "/api/v1/conversations/{conversation_id}/handoff",
            "/api/v1/conversations/{conversation_id}/messages", "/api/v1/events",
            "/api/v1/attachments/{attachment_id}"} <= set(spec["paths"])
    assert {"MessageIn", "ReplyIn", "PatchIn"} <= set(spec["components"]["schemas"])
    post = spec["paths"]["/api/v1/messages"]["post"]
    assert {"application/json", "multipart/form-data"} <= set(post["requestBody"]["content"])
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if path.startswith("/api/v1/channels/"):  # the phone's and Twilio's webhooks: signed, no token
                assert "signature" in operation["summary"].lower() or "signed" in operation["summary"]
                assert {"403", "404"} <= set(operation["responses"]), f"{method} {path}"
            elif path == "/api/v1/payments/stripe":  # Stripe's events: signed as Stripe documents, 400 otherwise
                assert "signature" in operation["summary"].lower() and "400" in operation["responses"]
            elif path != "/api/v1/health":
                assert "scope" in operation["summary"], f"{method} {path} names no scope"
                assert {"401", "403", "422"} <= set(operation["responses"]), f"{method} {path}"
