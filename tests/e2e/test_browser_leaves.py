"""A colleague closes their browser tab while the inbox is live: their session ends (it stops
listening for new messages) and the owner's console stays quiet. Before: for most tabs closed
while the server was sending, the session never ended (it kept refreshing for no one, all day)
and two tracebacks went to the console, Flet's 'Receive loop error: WebSocket is not connected'
and uvicorn's 'Exception in ASGI application'."""

from __future__ import annotations

import logging
import time

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from helpdesk.app import HelpdeskApp, ServerThread
from helpdesk.config import Settings
from helpdesk.services.base import Actor
from tests.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium, open_app, shown, sign_in

# The browser's side only: the services it drives run on PostgreSQL in tests/services and tests/api.
pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.sqlite_only]


class Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_closing_live_browsers_logs_no_error(tmp_path, new_database):
    app = HelpdeskApp(Settings(data_dir=tmp_path / "data", database_url=new_database(), host="127.0.0.1",
                               port=0)).start()
    app.services.agents.create("ann@shop.example", "Ann Agent", "ann-password", role="admin", actor=Actor.system())
    token = app.services.tokens.create("tabs", actor=Actor.system()).plaintext
    collected = Collected()
    # uvicorn's own loggers do not reach the root logger (nor pytest's caplog): listen on each.
    watched = [logging.getLogger(name) for name in ("", "uvicorn.error", "flet_web.fastapi")]
    for logger in watched:
        logger.addHandler(collected)
    try:
        with ServerThread(app) as server, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            listening_before = app.bus.subscriber_count()  # the server's own (jobs, the bots' API)
            with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as api:
                for tab in range(4):
                    context = browser.new_context(viewport={"width": 1280, "height": 800})
                    page = open_app(context, server.url)
                    sign_in(page, "ann@shop.example", "ann-password")
                    expect(shown(page, "Unassigned")).to_be_visible(timeout=30_000)
                    # Customers keep writing, so the server is sending to the tab as it closes.
                    for n in range(6):
                        assert api.post("/api/v1/messages", json={"customer": {"email": f"c{tab}{n}@example.com"},
                                                                  "body": f"Question {tab}.{n}"}).status_code == 201
                    context.close()
            browser.close()
            deadline = time.monotonic() + 10  # the server notices the last tab go
            while app.bus.subscriber_count() > listening_before and time.monotonic() < deadline:
                time.sleep(0.1)
            listening_after = app.bus.subscriber_count()
    finally:
        for logger in watched:
            logger.removeHandler(collected)
        app.close()
    noisy = [f"{r.name}: {r.getMessage()}" for r in collected.records
             if r.name.startswith(("uvicorn", "flet")) or r.exc_info]
    assert noisy == []
    assert listening_after == listening_before  # every closed tab's session ended
