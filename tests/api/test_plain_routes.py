"""POST /api/v1/messages is served by a plain Starlette app in front of FastAPI's router
(api/plain.py). Whatever reaches it, the answer is the one FastAPI's own route gives: same
status, same error body, same headers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from helpdesk.services.base import Actor

PATH = "/api/v1/messages"


@pytest.fixture
def fastapi_client(app):
    """FastAPI itself, behind no dispatcher: its PlainRoute serves the same handler."""
    with TestClient(app.asgi.api, base_url="http://testserver") as test_client:
        yield test_client


def comparable(response) -> tuple:
    headers = {k: v for k, v in response.headers.items() if k not in ("date", "content-length")}
    try:
        body = response.json()
    except ValueError:
        body = response.text
    return response.status_code, body, headers


def test_the_dispatcher_serves_intake_by_the_plain_app(app):
    plain = app.asgi.plain
    assert set(plain) == {("POST", PATH)}  # other methods and paths: FastAPI, as before


def test_intake_errors_read_the_same_as_fastapis(app, services, client, fastapi_client, auth):
    read_only = services.tokens.create("reader", actor=Actor.system(), scopes=["read"]).plaintext
    cases = [
        dict(),  # no token
        dict(headers={"Authorization": "Bearer wrong"}),
        dict(headers={"Authorization": f"Bearer {read_only}"}, json={"customer": {"email": "a@b.co"}, "body": "x"}),
        dict(headers=auth, content=b"{not json", ),
        dict(headers={**auth, "content-type": "application/json"}, content=b"[1, 2]"),
        dict(headers=auth, json={"customer": {}, "body": "no way to answer"}),
        dict(headers=auth, json={"customer": {"email": "not an address"}, "body": "hi"}),
        dict(headers=auth, json={"customer": {"email": "a@b.co"}, "body": "x" * 2_000_000}),
        dict(headers=auth, json={"customer": {"email": "a@b.co"}, "body": "hi", "conversation_id": 999999}),
        dict(headers={**auth, "Idempotency-Key": "one"},
             json={"customer": {"email": "a@b.co"}, "body": "hi", "idempotency_key": "two"}),
    ]
    for case in cases:
        through_dispatcher, through_fastapi = client.post(PATH, **case), fastapi_client.post(PATH, **case)
        assert 400 <= through_dispatcher.status_code < 500, case
        assert comparable(through_dispatcher) == comparable(through_fastapi), case
        assert through_dispatcher.headers["x-content-type-options"] == "nosniff"
        assert through_dispatcher.headers["cache-control"] == "no-store"


def test_a_message_and_its_replay_read_the_same_as_fastapis(client, fastapi_client, auth):
    message = {"customer": {"email": "pat@example.com", "name": "Pat"}, "body": "Where is my parcel?",
               "idempotency_key": "parcel-1"}
    first = client.post(PATH, headers=auth, json=message)
    replay_by_fastapi = fastapi_client.post(PATH, headers=auth, json=message)
    assert first.status_code == 201 and replay_by_fastapi.status_code == 200
    assert replay_by_fastapi.json()["message_id"] == first.json()["message_id"]
    assert {k for k in first.headers if k != "date"} == {k for k in replay_by_fastapi.headers if k != "date"}


def test_other_methods_and_near_paths_still_go_to_fastapi(client, auth):
    assert client.get(PATH, headers=auth).status_code == 405
    assert client.post(PATH + "/", headers=auth, json={}).status_code == 404
    assert client.post("/api/v1/messages/extra", headers=auth, json={}).status_code == 404
