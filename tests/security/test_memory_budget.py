"""After an attack run (photo bombs and large photos through the chat with their previews,
files posted to links that open nothing, non-ASCII keys, JSON nested deep, trickled headers),
a real server process and its image decoder stay under 400 MB, and health answers in under
50 ms."""

from __future__ import annotations

import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psutil
import pytest

from tests.cli import DATABASE_ENV, ROOT, run
from tests.helpers import free_port, wait_until_healthy
from tests.security import bombs

# The server's memory under attack, not the database's: measured on the SQLite pass.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("database_env"), pytest.mark.sqlite_only]
ORIGIN = "https://larsen.example"


def memory(pid: int) -> int:
    process = psutil.Process(pid)
    return process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))


def test_an_attack_run_leaves_the_server_small_and_quick(tmp_path):
    data, port = tmp_path / "data", free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    env.update(DATABASE_ENV, HELPDESK_DATA_DIR=str(data), HELPDESK_HOST="127.0.0.1", HELPDESK_PORT=str(port),
               HELPDESK_MDNS="0", HELPDESK_PUBLIC_URL="http://shop.test")
    added = run("channel", "add", "website", "--name", "Site", "--origin", ORIGIN, "--data-dir", str(data))
    key = added.stdout.strip().splitlines()[-1].split('data-helpdesk="')[1].split('"')[0]
    server = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_healthy(base, server)
        photos = [bombs.png(10_000, 11_900), bombs.png(9_000, 9_000, depth=8),  # over budget
                  bombs.png(5_000, 5_000, depth=8), bombs.png(6_000, 6_000, depth=8)]  # 25 and 36 M: decoded

        def chat_photo(i: int) -> int:
            with httpx.Client(timeout=60) as client:
                sent = client.post(f"{base}/widget/{key}/messages", params={"visitor": f"attacker-{i:03d}-xxxxxxxx"},
                                   headers={"Origin": ORIGIN}, data={"message": json.dumps({"body": "look"})},
                                   files=[("files", (f"p{i}.png", photos[i % len(photos)], "image/png"))])
                page = client.get(sent.json()["link"].replace("http://shop.test", base))
                thumb = re.search(r'<img src="([^"]+)"', page.text)
                return client.get(base + thumb.group(1).replace("&amp;", "&")).status_code

        with ThreadPoolExecutor(8) as pool:
            previews = list(pool.map(chat_photo, range(8)))
        assert set(previews) <= {200, 404, 503} and 200 in previews and 404 in previews
        with httpx.Client(timeout=30) as client:
            for _ in range(3):
                client.post(f"{base}/c/NOT-A-TOKEN", files=[("files", ("x.bin", bytes(5_000_000)))])
            for path in ("/chat?site=é", "/widget/é/thread", "/files/1/x?s=é"):
                assert client.get(base + path).status_code < 500
            deep = client.post(f"{base}/widget/{key}/messages", params={"visitor": "v" * 24},
                               headers={"Origin": ORIGIN, "Content-Type": "application/json"},
                               content="[" * 5000 + "]" * 5000)
            assert deep.status_code == 400
        trickling = [socket.create_connection(("127.0.0.1", port)) for _ in range(50)]
        for s in trickling:
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        times = []
        with httpx.Client(timeout=5) as client:
            for _ in range(30):
                began = time.perf_counter()
                assert client.get(base + "/api/v1/health").status_code == 200
                times.append(time.perf_counter() - began)
        for s in trickling:
            s.close()
        assert statistics.median(times) < 0.05, times
        assert memory(server.pid) < 400_000_000
    finally:
        server.terminate()
        server.wait(timeout=20)
