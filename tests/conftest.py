from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from helpdesk.app import HelpdeskApp, ServerThread
from helpdesk.clock import ManualClock
from helpdesk.config import Settings
from helpdesk.services import Actor, Services

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)  # a Monday morning


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", port=0, public_url=None)


@pytest.fixture
def app(settings: Settings, clock: ManualClock):
    helpdesk = HelpdeskApp(settings, clock=clock).start()
    yield helpdesk
    helpdesk.close()


@pytest.fixture
def services(app: HelpdeskApp) -> Services:
    return app.services


@pytest.fixture
def ann(services: Services) -> Actor:
    agent = services.agents.create("ann@shop.example", "Ann Agent", "correct horse", role="admin")
    return Actor("agent", agent.id, agent.name)


@pytest.fixture
def bob(services: Services) -> Actor:
    agent = services.agents.create("bob@shop.example", "Bob Agent", "battery staple")
    return Actor("agent", agent.id, agent.name)


@pytest.fixture
def token(services: Services) -> str:
    return services.tokens.create("tests").plaintext


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(app: HelpdeskApp) -> TestClient:
    with TestClient(app.asgi, base_url="http://shop.test") as test_client:
        yield test_client


@pytest.fixture
def server(app: HelpdeskApp):
    with ServerThread(app) as running:
        yield running


def post_message(client, auth, **overrides):
    payload = {"customer": {"email": "carol@example.com", "name": "Carol Customer"},
               "body": "My order has not arrived"}
    payload.update(overrides)
    return client.post("/api/v1/messages", json=payload, headers=auth)
