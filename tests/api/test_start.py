"""A start: the API answers as soon as the server listens, while the agent UI (Flet, the
largest import) is still being built beside it; a UI page asked for meanwhile waits for it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from helpdesk.app import HelpdeskApp, ServerThread


def test_the_api_answers_while_the_ui_is_still_being_built(app, monkeypatch):
    may_finish = threading.Event()
    build = HelpdeskApp._build_ui

    def slow_build(self):  # type: ignore[no-untyped-def]
        assert may_finish.wait(30), "the server waited for the UI before it listened"
        return build(self)

    monkeypatch.setattr(HelpdeskApp, "_build_ui", slow_build)
    with ServerThread(app) as server, ThreadPoolExecutor(1) as pool:
        assert httpx.get(f"{server.url}/api/v1/health", timeout=5).status_code == 200
        page = pool.submit(httpx.get, f"{server.url}/", timeout=30)
        may_finish.set()  # the page asked for meanwhile is served once the UI is built
        answer = page.result(timeout=30)
        assert answer.status_code == 200 and "Helpdesk" in answer.text
        assert httpx.get(f"{server.url}/", timeout=5).status_code == 200  # built once, served at once
