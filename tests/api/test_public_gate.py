"""What the internet reaches once the shop has a public address: the customer's side only.
Requests through the public address, or from an address outside the LAN, get their
conversation page, the intake API, channel webhooks and health; the agent UI, the agents'
and bots' API and the API docs answer 404. On the LAN everything works as before."""

from __future__ import annotations

import dataclasses

import pytest
from starlette.testclient import TestClient

from helpdesk.app import HelpdeskApp
from helpdesk.server.public_gate import PublicGate
from helpdesk.services.base import Actor


@pytest.fixture
def public(settings, clock):
    app = HelpdeskApp(settings.with_overrides(public_url="https://help.shop.example"), clock=clock).start()
    token = app.services.tokens.create("site", actor=Actor.system()).plaintext
    yield app, {"Authorization": f"Bearer {token}"}
    app.close()


def test_through_the_public_address_only_the_customers_side_answers(public):
    app, auth = public
    with TestClient(app.asgi, base_url="https://help.shop.example") as internet:
        made = internet.post("/api/v1/messages", headers=auth, json={
            "customer": {"email": "ida@example.com"}, "body": "Do you rent e-bikes?"})
        assert made.status_code == 201, made.text
        link = made.json()["conversation_url"]
        assert link.startswith("https://help.shop.example/c/")
        assert internet.get(link.removeprefix("https://help.shop.example")).status_code == 200
        assert internet.get("/api/v1/health").status_code == 200
        offered = app.services.downloads.offer("audit.csv", "text/csv", lambda out: out.write(b"who,what"))
        for path in ("/", "/api/v1/conversations", "/api/docs", "/api/openapi.json", "/api/v1/reports/summary",
                     "/assets/favicon.png", "/api/v1/audit", f"/downloads/{offered}"):
            refused = internet.get(path, headers=auth)
            assert refused.status_code == 404, path
            assert "Helpdesk" not in refused.text  # nothing says what is behind it
        with pytest.raises(Exception):
            with internet.websocket_connect("/ws", headers={"Origin": "https://help.shop.example"}):
                pass
    with TestClient(app.asgi, base_url="http://192.168.1.20:8080") as lan:  # the same server on the LAN
        assert lan.get("/api/v1/conversations", headers=auth).status_code == 200


def test_a_client_outside_the_lan_is_the_internet_whatever_name_it_uses():
    gate = PublicGate(lambda: "https://help.shop.example")
    assert gate.refuses("/api/v1/conversations", "192.168.1.20:8080", "93.184.216.34")
    assert not gate.refuses("/api/v1/conversations", "192.168.1.20:8080", "192.168.1.33")
    assert not gate.refuses("/c/abc", "help.shop.example", "93.184.216.34")
    assert not gate.refuses("/api/v1/channels/twilio/SMS", "help.shop.example", "93.184.216.34")
    # No public address, a LAN name as "public" address, or the owner's explicit choice: no gate.
    assert not PublicGate(lambda: None).on
    assert not PublicGate(lambda: "http://shop-pc:8080").on
    assert not PublicGate(lambda: "https://help.shop.example", env_allows_agents=True).on


def test_an_address_saved_in_settings_is_used_for_links_and_gated_at_once(settings, clock):
    from helpdesk.services.errors import ValidationFailed

    app = HelpdeskApp(dataclasses.replace(settings, public_url=None), clock=clock).start()
    try:
        services = app.services
        admin = services.agents.create("owner@shop.example", "Owner", "correct horse battery", role="admin",
                                       actor=Actor.system())
        owner = Actor.for_agent(admin)
        with pytest.raises(ValidationFailed):
            services.promise.set_public_url("https://help.shop.example/some/path", owner)
        services.promise.set_public_url("https://help.shop.example", owner)
        token = services.tokens.create("site", actor=Actor.system()).plaintext
        with TestClient(app.asgi, base_url="https://help.shop.example") as internet:
            made = internet.post("/api/v1/messages", headers={"Authorization": f"Bearer {token}"},
                                 json={"customer": {"email": "ida@example.com"}, "body": "Hello"})
            assert made.json()["conversation_url"].startswith("https://help.shop.example/c/")
            assert internet.get("/", headers={}).status_code == 404
    finally:
        app.close()
    again = HelpdeskApp(dataclasses.replace(settings, public_url=None), clock=clock).start()
    try:  # kept across restarts; "" goes back to the LAN address, and the gate opens
        assert again.services.links.public_url() == "https://help.shop.example"
        owner = Actor.for_agent(again.services.agents.list()[0])
        again.services.promise.set_public_url("", owner)
        assert again.services.links.public_url() is None
        with TestClient(again.asgi, base_url="https://help.shop.example") as client:
            assert client.get("/api/v1/conversations", headers={"Authorization": "Bearer x"}).status_code == 401
    finally:
        again.close()
