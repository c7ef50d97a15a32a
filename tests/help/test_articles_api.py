"""Articles through the API as integrators and bots use them, and the suggestions a visitor's
chat and conversation page ask for while they type."""

from __future__ import annotations

import pytest

from helpdesk.services.base import Actor

SITE = "https://larsen.example"


@pytest.fixture
def admin(services):
    token = services.tokens.create("docs sync", actor=Actor.system(), scopes=["read", "admin"])
    return {"Authorization": f"Bearer {token.plaintext}"}


@pytest.fixture
def reader(services):
    token = services.tokens.create("answer bot", actor=Actor.system(), scopes=["read", "reply"])
    return {"Authorization": f"Bearer {token.plaintext}"}


def test_an_integration_writes_publishes_and_deletes_articles(client, admin, reader):
    made = client.post("/api/v1/articles", headers=admin, json={
        "title": "When to change brake pads", "body": "Check the pads every month.", "category": "Repairs"})
    assert made.status_code == 201, made.text
    article = made.json()
    assert (article["status"], article["url"]) == ("draft", "http://shop.test/help/repairs/when-to-change-brake-pads")
    assert client.get("/api/v1/articles", headers=reader).json()["articles"] == []  # a draft is not out yet
    assert client.get("/api/v1/articles?status=draft", headers=reader).status_code == 403
    published = client.patch(f"/api/v1/articles/{article['id']}", headers=admin, json={"status": "published"})
    assert published.json()["published_at"] is not None
    found = client.get("/api/v1/articles", params={"q": "brake pad"}, headers=reader).json()["articles"]
    assert [a["title"] for a in found] == ["When to change brake pads"]
    assert client.post("/api/v1/articles", headers=reader, json={"title": "x"}).status_code == 403
    bad = client.post("/api/v1/articles", headers=admin, json={"title": "x", "language": "Klingon!"})
    assert bad.status_code == 422 and "language" in bad.json()["error"]["fields"]
    assert client.post("/api/v1/articles", headers=admin, json={"title": "x", "html": "<b>"}).status_code == 422
    assert client.delete(f"/api/v1/articles/{article['id']}", headers=admin).status_code == 200
    assert client.get("/help/repairs/when-to-change-brake-pads").status_code == 404
    assert client.patch(f"/api/v1/articles/{article['id']}", headers=admin, json={"title": "y"}).status_code == 404


def test_a_visitor_typing_gets_up_to_three_suggestions(client, services, ann):
    for title, body in (("When to change brake pads", "Squealing in the rain is normal; grinding is not."),
                        ("Brake cable adjustment", "A loose brake lever needs its cable tightened."),
                        ("Tubeless tyres", "Sealant lasts six months."),
                        ("Disc brake noise", "A squealing disc brake may need new pads or cleaning."),
                        ("Hydraulic brake bleeding", "Spongy brakes need bleeding.")):
        services.articles.create(ann, title, body, category="Repairs", status="published")
    channel = services.messaging.channels.add("website", "Site", {"origins": [SITE]}, ann)
    key = channel.config["key"]
    answer = client.get(f"/widget/{key}/suggest", params={"q": "my brakes squeal when it rains"},
                        headers={"Origin": SITE})
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == SITE
    titles = [a["title"] for a in answer.json()["articles"]]
    assert titles[0] == "When to change brake pads" and len(titles) <= 3 and "Tubeless tyres" not in titles
    assert set(answer.json()["articles"][0]) == {"id", "title", "url", "excerpt"}
    assert client.get(f"/widget/{key}/suggest", params={"q": "hi"}, headers={"Origin": SITE}).json() == {
        "articles": []}
    assert client.get(f"/widget/{key}/suggest", params={"q": "brake"},
                      headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.get("/widget/wrong-key/suggest", params={"q": "brake"}).status_code == 404
    conversation = services.conversations.receive(__import__(
        "helpdesk.services.conversations", fromlist=["x"]).IncomingMessage(body="Hi", email="a@example.com"))
    on_page = client.get(f"/c/{conversation.public_token}/suggest", params={"q": "spongy brakes"})
    assert on_page.json()["articles"][0]["title"] == "Hydraulic brake bleeding"  # both words: first
    assert client.get("/c/not-a-token/suggest", params={"q": "brakes"}).status_code == 404
