"""Several Helpdesk processes on one PostgreSQL: writes queue up across processes, live
events reach every process, and exactly one process runs the scheduled jobs, with another
taking over when it dies."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from helpdesk.app import HelpdeskApp, ServerThread
from helpdesk.config import Settings
from helpdesk.db.pg import JOBS_LOCK_KEY
from helpdesk.events import MESSAGE_CREATED
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.base import Actor
from tests.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium, open_app, shown, sign_in
from tests.helpers import free_port, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shared_database(database_url):
    if database_url is None:
        pytest.skip("several processes share a database on PostgreSQL (the PostgreSQL pass)")
    return database_url


@pytest.fixture
def two_apps(shared_database, tmp_path, clock):
    apps = [HelpdeskApp(Settings(data_dir=tmp_path / name, database_url=shared_database), clock=clock).start()
            for name in ("front", "back")]
    yield apps
    for app in apps:
        app.close()


def test_a_message_taken_in_by_one_process_is_announced_in_the_other(two_apps):
    front, back = two_apps
    assert back._event_relay.connected.wait(10)
    seen: list = []
    arrived = threading.Event()

    def on_event(event):  # type: ignore[no-untyped-def]
        seen.append(event)
        arrived.set()

    back.bus.subscribe(on_event, {MESSAGE_CREATED})
    own: list = []
    front.bus.subscribe(own.append, {MESSAGE_CREATED})
    received = front.services.conversations.receive(IncomingMessage(body="Hello from the front", email="a@example.com"))
    assert arrived.wait(5), "the other process never heard of the message"
    assert seen[0].conversation_id == received.conversation_id
    time.sleep(0.3)
    assert len(own) == 1  # a process does not hear its own events twice


def test_concurrent_writes_from_two_processes_keep_one_customer_and_one_conversation(two_apps):
    errors: list[BaseException] = []
    results = []

    def send(app, i):  # type: ignore[no-untyped-def]
        try:
            results.append(app.services.conversations.receive(
                IncomingMessage(body=f"message {i % 10}", email="same@example.com", idempotency_key=f"k{i % 10}")))
        except BaseException as exc:  # noqa: BLE001  (collected and asserted below)
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(two_apps[i % 2], i)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({r.customer_id for r in results}) == 1
    assert len({r.conversation_id for r in results}) == 1
    assert len({r.message_id for r in results}) == 10  # ten idempotency keys, each stored once


def jobs_holder(engine) -> str | None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.objid = :key AND l.granted"), {"key": JOBS_LOCK_KEY}).scalar()


def test_one_process_runs_the_jobs_and_another_takes_over_when_it_dies(shared_database, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_") and k != "DISPLAY"}
    env["HELPDESK_DATABASE_URL"] = shared_database
    servers = []
    for name in ("one", "two"):
        port = free_port()
        process = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve", "--host", "127.0.0.1",
                                    "--port", str(port), "--data-dir", str(tmp_path / name)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_healthy(f"http://127.0.0.1:{port}", process)
        servers.append(process)
    engine = sa.create_engine(shared_database, poolclass=sa.NullPool)
    try:
        holder = jobs_holder(engine)
        pids = {f"helpdesk-jobs pid={p.pid}": p for p in servers}
        assert holder in pids, holder
        leader = pids[holder]
        follower = next(p for p in servers if p is not leader)
        leader.send_signal(signal.SIGKILL)
        leader.wait(timeout=10)
        deadline = time.monotonic() + 20
        while jobs_holder(engine) != f"helpdesk-jobs pid={follower.pid}":
            assert time.monotonic() < deadline, "nobody took over the jobs"
            time.sleep(0.2)
    finally:
        for p in servers:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=15)
        engine.dispose()


@pytest.mark.browser
@needs_chromium
def test_an_agent_on_one_process_sees_a_message_posted_to_another_live(two_apps):
    """The whole path: API on process A, PostgreSQL NOTIFY, the relay in process B, and the
    agent's browser connected to B."""
    from playwright.sync_api import expect, sync_playwright

    front, back = two_apps
    back.services.agents.create("ann@shop.example", "Ann Agent", "ann-password", role="admin", actor=Actor.system())
    token = front.services.tokens.create("website", actor=Actor.system()).plaintext
    with ServerThread(front) as api_side, ServerThread(back) as agent_side, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = open_app(browser.new_context(viewport={"width": 1280, "height": 800}), agent_side.url)
            sign_in(page, "ann@shop.example", "ann-password")
            expect(shown(page, "All clear")).to_be_visible()
            started = time.monotonic()
            answer = httpx.post(api_side.url + "/api/v1/messages", headers={"Authorization": f"Bearer {token}"},
                                json={"customer": {"email": "pia@example.com", "name": "Pia Process"},
                                      "body": "Posted to the other process"})
            assert answer.status_code == 201
            expect(shown(page, "Pia Process")).to_be_visible(timeout=3_000)
            assert time.monotonic() - started < 3.0
        finally:
            browser.close()
