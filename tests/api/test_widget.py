"""The website chat's HTTP side: only the configured sites may call it; a visitor sees only
their own thread and comes back to it; a signed user id is checked; a resolved conversation
followed by a new message starts a new one; the snippet names the configured address."""

from __future__ import annotations

import re

import hashlib
import hmac

import pytest

from helpdesk.services.base import Actor

SITE = "https://myshop.example"
VISITOR = "v" * 24


@pytest.fixture
def site(services, ann):
    return services.messaging.channels.add("website", "Site", {"origins": [SITE]}, ann)


def post(client, key, body, visitor=VISITOR, origin=SITE, **extra):
    return client.post(f"/widget/{key}/messages", json={"visitor": visitor, "body": body, **extra},
                       headers={"Origin": origin})


def test_a_visitor_writes_at_once_and_comes_back_to_the_same_thread(services, client, site, ann):
    key = site.config["key"]
    first = post(client, key, "Do you fix e-bike motors?", email="kai@example.com")
    assert first.status_code == 201, first.text
    assert first.headers["access-control-allow-origin"] == SITE
    data = first.json()
    assert [m["body"] for m in data["messages"]] == ["Do you fix e-bike motors?"]
    assert data["link"].startswith("http://shop.test/c/")
    conversation = services.conversations.get(data["conversation_id"])
    assert conversation.conversation.channel == "chat"
    assert conversation.customer.identifiers["email"] == ["kai@example.com"]

    services.conversations.reply(data["conversation_id"], ann, "Yes, Bosch and Shimano.")
    again = client.get(f"/widget/{key}/thread", params={"visitor": VISITOR}, headers={"Origin": SITE}).json()
    assert again["team"] == "The team" and again["hours"].startswith(("In now", "Closed now"))
    assert [(m["mine"], m["who"], m["body"]) for m in again["messages"]] == [
        (True, "You", "Do you fix e-bike motors?"), (False, "Ann Agent", "Yes, Bosch and Shimano.")]
    # Another visitor (another browser) sees nothing of it, even with the same email.
    other = client.get(f"/widget/{key}/thread", params={"visitor": "w" * 24}, headers={"Origin": SITE}).json()
    assert other["messages"] == [] and other["conversation_id"] is None
    post(client, key, "Hello?", visitor="w" * 24, email="kai@example.com")
    assert [m["body"] for m in client.get(f"/widget/{key}/thread", params={"visitor": VISITOR},
                                          headers={"Origin": SITE}).json()["messages"]][-1] == "Yes, Bosch and Shimano."

    services.conversations.set_status(data["conversation_id"], "resolved", ann)
    later = post(client, key, "Another question: do you sell chargers?").json()
    assert later["conversation_id"] != data["conversation_id"]
    assert [e["link"] for e in later["earlier"]] == [data["link"]]  # the earlier one, listed with its page


def test_other_sites_and_bad_input_are_refused(services, client, site):
    key = site.config["key"]
    assert post(client, key, "hi", origin="https://evil.example").status_code == 403
    preflight = client.options(f"/widget/{key}/messages", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 403 and "access-control-allow-origin" not in preflight.headers
    ok = client.options(f"/widget/{key}/messages", headers={"Origin": SITE, "Access-Control-Request-Method": "POST"})
    assert ok.status_code == 204 and ok.headers["access-control-allow-origin"] == SITE
    assert post(client, "not-a-key", "hi").status_code == 404
    assert post(client, key, "hi", visitor="short").status_code == 422
    assert post(client, key, "x" * 10_001).status_code == 422
    assert post(client, key, "<script>alert(1)</script>").json()["messages"][0]["body"] == "<script>alert(1)</script>"


def test_a_signed_in_user_is_the_same_person_on_every_device_and_a_wrong_hash_is_refused(services, client, site):
    key = site.config["key"]
    secret = services.messaging.channels.secrets_of(site)["user_secret"]
    good = hmac.new(secret.encode(), b"customer-42", hashlib.sha256).hexdigest()
    made = post(client, key, "Where is order 42?", visitor="a" * 20, user_id="customer-42", user_hash=good)
    assert made.status_code == 201
    elsewhere = client.get(f"/widget/{key}/thread", headers={"Origin": SITE}, params={
        "visitor": "b" * 20, "user_id": "customer-42", "user_hash": good}).json()
    assert [m["body"] for m in elsewhere["messages"]] == ["Where is order 42?"]
    forged = client.get(f"/widget/{key}/thread", headers={"Origin": SITE}, params={
        "visitor": "b" * 20, "user_id": "customer-42", "user_hash": "0" * 64})
    assert forged.status_code == 403


def test_a_signed_user_id_with_an_expiry_is_good_until_then(services, client, site, clock):
    key = site.config["key"]
    signed = services.chat.user_hash(site, "customer-43")  # EXPIRES.HMAC(id.EXPIRES), a day ahead
    expires, digest = signed.split(".")
    secret = services.messaging.channels.secrets_of(site)["user_secret"]
    assert digest == hmac.new(secret.encode(), f"customer-43.{expires}".encode(), hashlib.sha256).hexdigest()

    def thread(user_hash: str) -> int:
        return client.get(f"/widget/{key}/thread", headers={"Origin": SITE}, params={
            "visitor": "c" * 20, "user_id": "customer-43", "user_hash": user_hash}).status_code

    assert thread(signed) == 200
    assert thread(f"{int(expires) + 60}.{digest}") == 403  # the expiry is signed too
    far = str(int(clock.now().timestamp()) + 90 * 86400)
    assert thread(far + "." + hmac.new(secret.encode(), f"customer-43.{far}".encode(), hashlib.sha256)
                  .hexdigest()) == 403  # at most a month ahead
    clock.advance(days=2)
    assert thread(signed) == 403


def test_robots_are_kept_out_of_everything_but_the_help_center(client):
    robots = client.get("/robots.txt")
    assert robots.status_code == 200 and robots.headers["content-type"].startswith("text/plain")
    # Customers' pages are private links and the agents' app is nobody's business; /help is for finding.
    assert robots.text == "User-agent: *\nAllow: /help\nDisallow: /\n"


def test_the_snippet_and_the_chat_page(services, client, site):
    snippet = services.chat.snippet(site)
    assert snippet == f'<script src="http://shop.test/widget.js" data-helpdesk="{site.config["key"]}" async></script>'
    loader = client.get("/widget.js", headers={"Accept-Encoding": "gzip"})
    assert loader.status_code == 200 and loader.headers["content-type"].startswith("text/javascript")
    assert loader.headers["content-encoding"] == "gzip" and loader.headers["cache-control"] == "public, max-age=300"
    [hashed] = re.findall(r"/widget-[0-9a-f]{16}\.js", loader.text)  # the loader names the script by its content
    script = client.get(hashed, headers={"Accept-Encoding": "gzip"})
    assert script.status_code == 200 and script.headers["content-encoding"] == "gzip"
    assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert 0 < int(script.headers["content-length"]) < 10_000  # compressed; the script itself stays small
    assert "attachShadow" in script.text
    again = client.get(hashed, headers={"If-None-Match": script.headers["etag"]})
    assert again.status_code == 304 and not again.content
    assert "Content-Encoding" not in client.get(hashed, headers={"Accept-Encoding": "identity"}).headers
    page = client.get("/chat", params={"site": site.config["key"]})
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    assert f'src="{hashed}"' in page.text and page.headers["x-robots-tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in page.text
    assert client.get("/chat", params={"site": "nope"}).status_code == 404
    services.messaging.channels.remove(site.id, Actor.system())
    assert post(client, site.config["key"], "hi").status_code == 404


def test_the_counter_poster_is_a_printable_png_of_the_chat_on_the_address_customers_use(services, client, site):
    from io import BytesIO

    from PIL import Image

    answer = client.get("/chat/poster.png", params={"site": site.config["key"]})
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    assert Image.open(BytesIO(answer.content)).size == (1240, 1754)
    assert services.chat.page_url(site).startswith(services.links.base_url() + "/chat?site=")
    assert services.chat.snippet(site).startswith(f'<script src="{services.links.base_url()}/widget.js"')
    assert client.get("/chat/poster.png", params={"site": "nope"}).status_code == 404


def test_a_visitor_sends_a_photo_and_gets_the_agents_file_back(services, client, site, ann):
    import io
    import json

    from PIL import Image

    key = site.config["key"]
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(photo, "JPEG")
    sent = client.post(f"/widget/{key}/messages", params={"visitor": VISITOR}, headers={"Origin": SITE},
                       data={"message": json.dumps({"body": ""})},
                       files=[("files", ("broken-spoke.jpg", photo.getvalue(), "image/jpeg"))])
    assert sent.status_code == 201, sent.text
    [mine] = sent.json()["messages"]
    assert mine["body"] == "Sent broken-spoke.jpg" and mine["files"][0]["name"] == "broken-spoke.jpg"
    assert client.get(mine["files"][0]["url"].removeprefix("http://shop.test")).content == photo.getvalue()
    guide = services.files.stage_bytes(b"%PDF-1.4 spoke guide", "spoke-guide.pdf")
    services.conversations.reply(sent.json()["conversation_id"], ann, "Here is how we fix it.", files=[guide])
    thread = client.get(f"/widget/{key}/thread", params={"visitor": VISITOR}, headers={"Origin": SITE}).json()
    assert thread["messages"][-1]["files"][0]["name"] == "spoke-guide.pdf"
    empty = client.post(f"/widget/{key}/messages", params={"visitor": VISITOR}, headers={"Origin": SITE},
                        json={"body": "  "})
    assert empty.status_code == 422
