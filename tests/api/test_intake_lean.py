"""POST /api/v1/messages has a lean path for the usual request (api/intake_route.py): an
integration must not be able to tell it from the full one. Each case goes once through the lean
path and once through the API app alone, into two shops in the same state, and gets the same
status, body and headers; what the lean path does not serve, it hands on."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from helpdesk.app import HelpdeskApp
from helpdesk.services.base import Actor
from helpdesk.services.ratelimit import Limit

CAROL = {"email": "carol@example.com", "name": "Carol Customer"}

CASES = {
    "new conversation": [{"customer": CAROL, "body": "My order has not arrived", "idempotency_key": "k1"}],
    "replay and a reused key": [{"customer": CAROL, "body": "hello", "idempotency_key": "same"},
                                {"customer": CAROL, "body": "hello", "idempotency_key": "same"},
                                {"customer": CAROL, "body": "changed", "idempotency_key": "same"}],
    "follow-up without a link": [{"customer": CAROL, "body": "first"}, {"customer": CAROL, "body": "second"}],
    "blank body refused by the service": [{"customer": CAROL, "body": "   "}],
    "no identifier": [{"customer": {"name": "Nobody"}, "body": "hi"}],
    "a field the model refuses": [{"customer": CAROL, "body": "hi", "colour": "red"}],
    "someone else's conversation": [{"customer": CAROL, "body": "mine"},
                                    {"customer": {"email": "eve@example.com"}, "body": "x", "conversation_id": 1}],
    "malformed JSON": ['{"customer": '],
    "words beyond ASCII": [{"customer": {"email": "zoë@example.com", "name": "Zoë"}, "body": "Grüße ✓ 你好"}],
    "a lone surrogate (JSON allows it, UTF-8 does not)": ['{"customer": {"email": "a@example.com"}, "body": "hi \\ud800"}'],
    "a JSON list": [[1, 2]],
}


def answers(client: TestClient, token: str, bodies: list) -> list[tuple[int, dict, dict]]:
    out = []
    for body in bodies:
        data = body if isinstance(body, str) else json.dumps(body)
        r = client.post("/api/v1/messages", content=data, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        headers = {k: v for k, v in r.headers.items() if k not in ("date", "content-length")}
        answer = r.json()
        if isinstance(answer, dict) and answer.get("conversation_url"):  # a random token: its shape only
            assert answer["conversation_url"].startswith("http://shop.test/c/")
            answer["conversation_url"] = "http://shop.test/c/<token>"
        out.append((r.status_code, answer, headers))
    return out


@pytest.fixture
def twins(settings, clock, tmp_path):
    """Two shops from the same empty database: one served whole, one through the API app alone."""
    import shutil

    from dataclasses import replace

    if settings.database_url is not None:
        pytest.skip("one database server: the twin comparison runs on SQLite")
    other_dir = tmp_path / "other"
    shutil.copytree(settings.data_dir, other_dir)
    shops = [HelpdeskApp(settings, clock=clock).start()]
    shops.append(HelpdeskApp(replace(settings, data_dir=other_dir), clock=clock).start())
    yield shops
    for shop in shops:
        shop.close()


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_lean_path_answers_exactly_as_the_api_app(twins, case):
    lean_shop, full_shop = twins
    tokens = [shop.services.tokens.create("site", actor=Actor.system(), scopes=["intake"]).plaintext
              for shop in twins]
    handed_on = []
    with TestClient(lean_shop.asgi, base_url="http://testserver") as lean, \
            TestClient(full_shop.asgi.api, base_url="http://testserver") as full:
        intake = lean_shop.asgi.intake
        api = intake.api

        async def counting(scope, receive, send):  # type: ignore[no-untyped-def]
            handed_on.append(scope["path"])
            await api(scope, receive, send)

        # The first request authenticates from the database (the full path); then the token is cached.
        answers(lean, tokens[0], [{"customer": {"email": "warm@example.com"}, "body": "warm up"}])
        answers(full, tokens[1], [{"customer": {"email": "warm@example.com"}, "body": "warm up"}])
        intake.api = counting
        got, expected = answers(lean, tokens[0], CASES[case]), answers(full, tokens[1], CASES[case])
    assert got == expected
    handed_over = {"malformed JSON", "a JSON list", "a field the model refuses",  # worded by the API app
                   "a lone surrogate (JSON allows it, UTF-8 does not)"}  # the lean path's reader refuses it
    assert (handed_on == []) == (case not in handed_over), handed_on


def test_the_lean_path_counts_the_rate_limit_and_says_when_to_come_back(app, client, monkeypatch):
    token = app.services.tokens.create("site", actor=Actor.system(), scopes=["intake"]).plaintext
    auth = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/messages", json={"customer": CAROL, "body": "one"}, headers=auth).status_code == 201
    monkeypatch.setattr(app.services.limits.intake, "limit", Limit(1, burst=1))
    limited = None
    for n in range(200):
        r = client.post("/api/v1/messages", json={"customer": CAROL, "body": f"more {n}"}, headers=auth)
        if r.status_code == 429:
            limited = r
            break
    assert limited is not None, "the intake limit never answered 429"
    assert limited.json()["error"]["code"] == "rate_limited" and int(limited.headers["retry-after"]) >= 1
    assert limited.headers["x-content-type-options"] == "nosniff" and limited.headers["cache-control"] == "no-store"


def test_files_a_missing_scope_and_an_unknown_token_take_the_full_path(app, client):
    reader = app.services.tokens.create("reader", actor=Actor.system(), scopes=["read"]).plaintext
    intake = app.services.tokens.create("site", actor=Actor.system(), scopes=["intake"]).plaintext
    for token in (reader, intake):  # both in the cache from now on
        client.get("/api/v1/conversations", headers={"Authorization": f"Bearer {token}"})
    message = {"customer": CAROL, "body": "see the photo"}
    refused = client.post("/api/v1/messages", json=message, headers={"Authorization": f"Bearer {reader}"})
    assert refused.status_code == 403 and "intake scope" in refused.json()["error"]["message"]
    unknown = client.post("/api/v1/messages", json=message, headers={"Authorization": "Bearer nope"})
    assert unknown.status_code == 401
    form = client.post("/api/v1/messages", data={"message": json.dumps(message)},
                       files={"files": ("note.txt", b"hello", "text/plain")},
                       headers={"Authorization": f"Bearer {intake}"})
    assert form.status_code == 201
    detail = app.services.conversations.get(form.json()["conversation_id"])
    assert [a.filename for files in detail.attachments.values() for a in files] == ["note.txt"]
