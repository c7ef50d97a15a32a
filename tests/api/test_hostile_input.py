"""Awkward and hostile text survives intact and is never executed."""

import pytest

from tests.conftest import post_message

TEXTS = [
    "NUL in the middle: a\x00b",
    "Emoji 😀👍🏽 and a flag 🇩🇪",
    "Right-to-left: שלום, مرحبا بك",
    "Combining: e\u0301 vs é, Z\u0351\u0360a\u0352lgo",
    "Line\r\nbreaks\tand\u2028separators",
    "<script>alert(1)</script><img src=x onerror=alert(2)>",
]


@pytest.mark.parametrize("text", TEXTS)
def test_text_round_trips_through_the_api_and_the_customer_page(client, auth, text):
    created = post_message(client, auth, body=text, subject=text[:300],
                           customer={"email": "round@example.com", "name": text[:200]})
    assert created.status_code == 201, created.text
    conversation = client.get(f"/api/v1/conversations/{created.json()['conversation_id']}", headers=auth).json()
    assert conversation["messages"][-1]["body"] == text.strip()
    assert conversation["customer"]["name"] == text[:200].strip()
    page = client.get("/c/" + created.json()["conversation_url"].rsplit("/", 1)[1]).text
    assert "<script>alert" not in page and "onerror=alert" not in page.replace("onerror=alert(2)&gt;", "")


def test_search_finds_text_in_any_script(services):
    from helpdesk.services.conversations import IncomingMessage
    services.conversations.receive(IncomingMessage(body="Die Lieferung für Zürich 😀", email="z@example.com"))
    services.conversations.receive(IncomingMessage(body="שלום עולם", email="h@example.com"))
    assert services.search.search("zurich")[0].kind == "message"  # accents folded
    assert services.search.search("שלום")[0].kind == "message"


def test_customer_tokens_are_long_random_and_not_enumerable(client, auth):
    tokens = {post_message(client, auth, customer={"email": f"t{i}@example.com"}).json()["conversation_url"]
              .rsplit("/", 1)[1] for i in range(20)}
    assert len(tokens) == 20 and all(len(t) >= 32 for t in tokens)
    for probe in ("1", "2", "a" * 32, "..%2F..%2Fetc%2Fpasswd", "%00"):
        assert client.get(f"/c/{probe}").status_code == 404
