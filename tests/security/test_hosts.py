"""One normalised host wherever a host is compared: `Host: shop.example.` (a trailing dot)
reached the agents' API through the public address where `Host: shop.example` got 404."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from helpdesk.app import HelpdeskApp
from helpdesk.server.hosts import normal_host
from helpdesk.services.base import Actor

VARIANTS = ["help.shop.example", "help.shop.example.", "HELP.Shop.Example", "Help.Shop.Example.:443",
            "help.shop.example..", "help.shop.example:8080", " help.shop.example ", "help.shop.example.:80"]


@pytest.mark.parametrize("value, expected", [
    ("Shop.Example.:8080", "shop.example"), ("bücher.example", "xn--bcher-kva.example"),
    ("BÜCHER.example.", "xn--bcher-kva.example"), ("[::1]:80", "::1"), ("::1", "::1"), ("", ""),
    ("[broken", "")])
def test_the_one_form_of_a_host(value, expected):
    assert normal_host(value) == expected


@pytest.fixture
def public(settings, clock):
    app = HelpdeskApp(settings.with_overrides(public_url="https://help.shop.example"), clock=clock).start()
    token = app.services.tokens.create("admin", actor=Actor.system(), scopes=["read", "admin"]).plaintext
    yield app, {"Authorization": f"Bearer {token}"}
    app.close()


@pytest.mark.parametrize("host", VARIANTS)
def test_every_spelling_of_the_public_host_reaches_only_the_customers_side(public, host):
    app, auth = public
    with TestClient(app.asgi, base_url="https://help.shop.example") as internet:
        for path in ("/api/v1/conversations", "/api/v1/events", "/api/docs", "/api/openapi.json", "/"):
            answer = internet.get(path, headers={**auth, "Host": host})
            assert answer.status_code in (400, 404), (host, path, answer.status_code)
        assert internet.get("/api/v1/health", headers={"Host": host}).status_code == 200
