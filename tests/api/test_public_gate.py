"""What the internet reaches once the shop has a public address: the customer's side only.
Requests through the public address, or from an address outside the LAN, get their
conversation page, the intake API, channel webhooks and health; the agent UI, the agents'
and bots' API and the API docs answer 404. On the LAN everything works as before."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from helpdesk.app import HelpdeskApp
from helpdesk.public_gate import PublicGate
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
        for path in ("/", "/api/v1/conversations", "/api/docs", "/api/openapi.json", "/api/v1/reports/summary",
                     "/assets/favicon.png"):
            refused = internet.get(path, headers=auth)
            assert refused.status_code == 404, path
            assert "Helpdesk" not in refused.text  # nothing says what is behind it
        with pytest.raises(Exception):
            with internet.websocket_connect("/ws", headers={"Origin": "https://help.shop.example"}):
                pass
    with TestClient(app.asgi, base_url="http://192.168.1.20:8080") as lan:  # the same server on the LAN
        assert lan.get("/api/v1/conversations", headers=auth).status_code == 200


def test_a_client_outside_the_lan_is_the_internet_whatever_name_it_uses():
    from helpdesk.config import Settings

    gate = PublicGate(Settings(public_url="https://help.shop.example"))
    assert gate.refuses("/api/v1/conversations", "192.168.1.20:8080", "93.184.216.34")
    assert not gate.refuses("/api/v1/conversations", "192.168.1.20:8080", "192.168.1.33")
    assert not gate.refuses("/c/abc", "help.shop.example", "93.184.216.34")
    assert not gate.refuses("/api/v1/channels/twilio/SMS", "help.shop.example", "93.184.216.34")
    # No public address, a LAN name as "public" address, or the owner's explicit choice: no gate.
    assert not PublicGate(Settings()).on
    assert not PublicGate(Settings(public_url="http://shop-pc:8080")).on
    assert not PublicGate(Settings(public_url="https://help.shop.example"), env_allows_agents=True).on
