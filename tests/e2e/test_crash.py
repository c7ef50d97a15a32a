"""Crash safety: SIGKILL the server during sustained intake; every acknowledged message
is there exactly once after a restart, and retried requests create no duplicates."""

from __future__ import annotations

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

from tests.helpers import free_port, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")]


def start(data: Path, port: int, database_url: str | None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_") and k != "DISPLAY"}
    env["HELPDESK_INTAKE_PER_MINUTE"] = "0"  # sustained intake from six clients, beyond the flood guard
    if database_url:
        env["HELPDESK_DATABASE_URL"] = database_url
    process = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve", "--host", "127.0.0.1",
                                "--port", str(port), "--data-dir", str(data)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_healthy(f"http://127.0.0.1:{port}", process)
    return process


def test_sigkill_during_intake_loses_no_acknowledged_message(tmp_path, database_url):
    data = tmp_path / "data"
    database = sa.create_engine(database_url or f"sqlite:///{data / 'helpdesk.db'}", poolclass=sa.NullPool)
    token = subprocess.run([sys.executable, str(ROOT / "main.py"), "token", "create", "crash", "--data-dir",
                            str(data)], capture_output=True, text=True, check=True,
                           env={**os.environ, **({"HELPDESK_DATABASE_URL": database_url} if database_url else {})},
                           ).stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    port = free_port()
    server = start(data, port, database_url)
    acknowledged: dict[str, int] = {}  # idempotency key -> message id the server confirmed
    unanswered: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(worker: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=5) as http:
            n = 0
            while not stop.is_set() and n < 400:
                key = f"w{worker}-{n}"
                n += 1
                try:
                    response = http.post("/api/v1/messages", json={
                        "customer": {"email": f"c{worker}@example.com"}, "body": f"message {key}",
                        "idempotency_key": key})
                except httpx.TransportError:
                    with lock:
                        unanswered.append(key)
                    return
                with lock:
                    if response.status_code in (200, 201):
                        acknowledged[key] = response.json()["message_id"]
                    else:
                        unanswered.append(key)

    threads = [threading.Thread(target=client, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    while len(acknowledged) < 150:  # sustained intake is under way
        time.sleep(0.01)
    server.send_signal(signal.SIGKILL)
    server.wait(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=10)

    server = start(data, port, database_url)
    try:
        with database.connect() as db:
            stored = dict(db.exec_driver_sql("SELECT key, message_id FROM idempotency_record").all())
            bodies = list(db.exec_driver_sql("SELECT body FROM message WHERE direction = 'in'").scalars())
        for key, message_id in acknowledged.items():
            assert stored.get(key) == message_id, f"acknowledged {key} was lost"
        assert len(bodies) == len(set(bodies)), "a message was stored twice"
        # Clients retry what got no answer, with the same keys: nothing is duplicated.
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as http:
            for key in list(acknowledged)[:20] + unanswered:
                worker = key.split("-")[0][1:]
                response = http.post("/api/v1/messages", json={
                    "customer": {"email": f"c{worker}@example.com"}, "body": f"message {key}", "idempotency_key": key})
                assert response.status_code in (200, 201)
                if key in acknowledged:
                    assert response.status_code == 200 and response.json()["message_id"] == acknowledged[key]
        with database.connect() as db:
            bodies = list(db.exec_driver_sql("SELECT body FROM message WHERE direction = 'in'").scalars())
        assert len(bodies) == len(set(bodies))
        assert len(bodies) == len(set(acknowledged) | set(unanswered) | set(stored))
    finally:
        server.terminate()
        server.wait(timeout=15)
        database.dispose()
