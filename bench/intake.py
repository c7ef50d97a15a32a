"""Intake benchmark: N customer messages from C concurrent clients against a real
server process, beside the same server's /api/v1/health as the ceiling; then checks
that the rows stored equal the 2xx answers.

    python bench/intake.py [--messages 5000] [--concurrency 16] [--synchronous FULL]
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from httpload import build_request, run_load  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--customers", type=int, default=500, help="distinct customers the messages come from")
    parser.add_argument("--synchronous", choices=["FULL", "NORMAL"], default="FULL")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="helpdesk-bench-"))
    port = free_port()
    env = {**os.environ, "HELPDESK_DATA_DIR": str(data_dir), "HELPDESK_HOST": "127.0.0.1",
           "HELPDESK_PORT": str(port), "HELPDESK_SQLITE_SYNCHRONOUS": args.synchronous,
           "HELPDESK_INTAKE_PER_MINUTE": "0"}  # measure the server, not the flood guard
    token = subprocess.run([sys.executable, str(ROOT / "main.py"), "token", "create", "bench"], env=env,
                           capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    server = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("server did not start")
                time.sleep(0.1)
        host = f"127.0.0.1:{port}"
        warm = run_load("127.0.0.1", port, 500, 4, lambda i: build_request("GET", "/api/v1/health", host))
        assert warm.ok == 500
        health = run_load("127.0.0.1", port, args.messages, args.concurrency,
                          lambda i: build_request("GET", "/api/v1/health", host))
        auth = {"Authorization": f"Bearer {token}"}
        intake = run_load("127.0.0.1", port, args.messages, args.concurrency, lambda i: build_request(
            "POST", "/api/v1/messages", host, auth,
            {"customer": {"email": f"customer{i % args.customers}@example.com", "name": f"Customer {i % args.customers}"},
             "body": f"Message {i}: my order has not arrived yet, could you check the tracking?",
             "idempotency_key": f"bench-{i}"}))
    finally:
        server.terminate()
        server.wait(timeout=30)

    with sqlite3.connect(data_dir / "helpdesk.db") as db:
        stored = db.execute("SELECT count(*) FROM message WHERE direction = 'in'").fetchone()[0]

    print(f"# intake benchmark, {time.strftime('%Y-%m-%d')}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, SQLite synchronous={args.synchronous}")
    print(f"{'endpoint':<24}{'requests':>10}{'clients':>9}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'2xx':>8}")
    for name, r in (("GET /api/v1/health", health), ("POST /api/v1/messages", intake)):
        print(f"{name:<24}{r.count:>10}{args.concurrency:>9}{r.rate:>10.0f}{r.percentile(50):>9.1f}"
              f"{r.percentile(99):>9.1f}{r.ok:>8}")
    print(f"intake / health ceiling: {intake.rate / health.rate:.0%}")
    lost = intake.ok - stored
    print(f"messages stored: {stored}, 2xx answers: {intake.ok} -> {'nothing lost' if lost == 0 else f'MISMATCH {lost}'}")
    return 0 if lost == 0 and intake.ok == args.messages else 1


if __name__ == "__main__":
    sys.exit(main())
