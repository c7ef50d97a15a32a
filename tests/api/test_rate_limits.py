"""Rate limits and customer-link secrecy: floods and guessing get 429, people never notice."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from helpdesk.app import HelpdeskApp
from helpdesk.services.auth import SignInFailed
from helpdesk.services.ratelimit import Limit, RateLimiter
from helpdesk.services.base import Actor
from tests.conftest import post_message


def token_of(created):
    return created["conversation_url"].rsplit("/", 1)[1]


@pytest.fixture
def limited(settings, clock):
    """An app whose API tokens may post 6 messages a minute (bursts of 1)."""
    app = HelpdeskApp(settings.with_overrides(intake_per_minute=6), clock=clock).start()
    token = app.services.tokens.create("limited", actor=Actor.system()).plaintext
    with TestClient(app.asgi, base_url="http://testserver") as client:
        yield client, {"Authorization": f"Bearer {token}"}, app
    app.close()


def test_a_bucket_allows_its_burst_then_refills_with_time(clock):
    limiter = RateLimiter(clock, Limit(per_minute=60, burst=3))
    assert [limiter.take("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.take("a") == pytest.approx(1.0)  # one more a second
    assert limiter.take("b") == 0  # another caller has its own bucket
    clock.advance(seconds=2)
    assert limiter.take("a") == 0 and limiter.take("a") == 0 and limiter.take("a") > 0


def test_intake_over_the_token_limit_answers_429_with_retry_after(limited, clock):
    client, auth, app = limited
    assert post_message(client, auth, body="first").status_code == 201
    flooded = post_message(client, auth, body="second")
    assert flooded.status_code == 429
    assert flooded.json()["error"]["code"] == "rate_limited"
    assert flooded.headers["retry-after"] == "10"
    clock.advance(seconds=10)
    assert post_message(client, auth, body="second, later").status_code == 201
    bodies = [m.body for m in app.services.conversations.get(1).messages]
    assert bodies == ["first", "second, later"]  # the refused one was not stored


def test_guessing_api_tokens_is_stopped_for_that_address(client, auth, clock):
    for i in range(30):
        assert post_message(client, {"Authorization": f"Bearer hd_guess{i}"}).status_code == 401
    blocked = post_message(client, {"Authorization": "Bearer hd_guess-more"})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
    assert post_message(client, auth).status_code == 201  # a right token never waits for others' guesses
    assert post_message(client, {"Authorization": "Bearer hd_guess-again"}).status_code == 429


def test_customer_links_cannot_be_enumerated(client, auth, clock):
    created = post_message(client, auth).json()
    real = token_of(created)
    for i in range(15):
        assert client.get(f"/c/guess{i:04d}").status_code == 404
    refused = client.get(f"/c/guess-{real}")
    assert refused.status_code == 429 and "Too many requests" in refused.text
    assert "retry-after" in refused.headers
    clock.advance(minutes=1)
    assert client.get(f"/c/{real}").status_code == 200
    # A customer reading their own page many times is never limited.
    assert all(client.get(f"/c/{real}").status_code == 200 for _ in range(40))


def test_a_customer_posting_a_flood_from_their_page_is_slowed(client, auth):
    token = token_of(post_message(client, auth).json())
    answers = [client.post(f"/c/{token}", data={"body": f"again {i}"}, follow_redirects=False).status_code
               for i in range(16)]
    assert answers[:15] == [303] * 15 and answers[15] == 429


def test_a_link_needs_every_character_of_its_token(client, auth, services):
    token = token_of(post_message(client, auth).json())
    for wrong in (token[:-1], token + "x", token[:-1] + ("A" if token[-1] != "A" else "B"), token.upper()):
        if wrong != token:
            assert client.get(f"/c/{wrong}").status_code == 404
    assert services.conversations.get_by_token(token).conversation.public_token == token


def test_the_database_never_sees_a_customer_token_it_could_compare(client, auth, app):
    """Links are looked up by a digest; the token itself is compared in constant time in
    Python, so how long a lookup takes says nothing about how close a guess was."""
    token = token_of(post_message(client, auth).json())
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(repr(parameters))

    event.listen(app.db.engine, "before_cursor_execute", record)
    try:
        assert client.get(f"/c/{token}").status_code == 200
        assert client.post(f"/c/{token}", data={"body": "hello"}, follow_redirects=False).status_code == 303
    finally:
        event.remove(app.db.engine, "before_cursor_execute", record)
    assert seen and not any(token in parameters for parameters in seen)


def test_failed_sign_ins_from_one_address_are_limited_whatever_the_email(services, ann, clock):
    assert services.auth.sign_in("ann@shop.example", "correct horse", client_ip="192.168.1.50")  # costs nothing
    for i in range(20):
        with pytest.raises(SignInFailed) as failed:
            services.auth.sign_in(f"nobody{i}@shop.example", "guess", client_ip="192.168.1.50")
        assert "wrong email or password" in failed.value.message
    with pytest.raises(SignInFailed) as limited:
        services.auth.sign_in("ann@shop.example", "correct horse", client_ip="192.168.1.50")
    assert limited.value.message == "too many failed sign-ins from this device; try again in 3 min"
    # A colleague at another desk is not affected, nor the computer itself.
    assert services.auth.sign_in("ann@shop.example", "correct horse", client_ip="192.168.1.51").agent.id == ann.id
    assert services.auth.sign_in("ann@shop.example", "correct horse", client_ip="127.0.0.1").agent.id == ann.id
    clock.advance(minutes=3)  # one more try is earned every 3 minutes
    assert services.auth.sign_in("ann@shop.example", "correct horse", client_ip="192.168.1.50").agent.id == ann.id
