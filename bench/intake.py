"""Intake benchmark: N customer messages from C concurrent clients against a real
server process, beside the same server's /api/v1/health as the ceiling; then checks
that the rows stored equal the 2xx answers.

    python bench/intake.py [--messages 5000] [--concurrency 16] [--synchronous FULL]
    python bench/intake.py --wrk [--seconds 10] [--concurrency 32] [--runs 3]

--wrk measures as issue 42 set the aim: wrk (Debian's package) with 32 connections against the
same server, GET /api/v1/health and POST /api/v1/messages (bench/intake.lua: every request a
distinct message with its own idempotency key), alternating, `--runs` intake runs each between
two health runs; the ratio of each to the mean health either side, and their median, are the
figures (this VM's speed drifts within seconds). Then every stored message is
checked against the acknowledged ones: no more than the connections still in flight when wrk
stopped, and no key stored twice.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import socket
import sqlite3
import statistics
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
    parser.add_argument("--concurrency", type=int, default=None, help="16; 32 with --wrk")
    parser.add_argument("--customers", type=int, default=500, help="distinct customers the messages come from")
    parser.add_argument("--synchronous", choices=["FULL", "NORMAL"], default="FULL")
    parser.add_argument("--wrk", action="store_true", help="load from wrk instead of the built-in client")
    parser.add_argument("--seconds", type=int, default=10, help="--wrk: each run's length")
    parser.add_argument("--runs", type=int, default=3, help="--wrk: health/intake pairs")
    args = parser.parse_args()
    args.concurrency = args.concurrency or (32 if args.wrk else 16)
    if args.wrk:
        return wrk_main(args)

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


def start_server(env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
            return server
        except httpx.TransportError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("server did not start")
            time.sleep(0.1)


def wrk(url: str, seconds: int, connections: int, env: dict, script: Path | None = None) -> tuple[float, float, int, int]:
    """Requests a second, mean latency (ms), acknowledged and refused (the script counts those)."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"] + (["-s", str(script)] if script else []) + [url]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = re.search(r"Latency\s+([\d.]+)(us|ms|s)", out)
    mean = float(latency.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[latency.group(2)]
    counted = re.search(r"WRK_OK (\d+) WRK_BAD (\d+)", out)
    return rate, mean, int(counted.group(1)) if counted else 0, int(counted.group(2)) if counted else 0


def wrk_main(args: argparse.Namespace) -> int:
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk)")
        return 1
    data_dir = Path(tempfile.mkdtemp(prefix="helpdesk-bench-"))
    port = free_port()
    env = {**os.environ, "HELPDESK_DATA_DIR": str(data_dir), "HELPDESK_HOST": "127.0.0.1", "HELPDESK_MDNS": "0",
           "HELPDESK_PORT": str(port), "HELPDESK_SQLITE_SYNCHRONOUS": args.synchronous,
           "HELPDESK_INTAKE_PER_MINUTE": "0", "HELPDESK_BENCH_CUSTOMERS": str(args.customers)}
    env["HELPDESK_BENCH_TOKEN"] = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "token", "create", "bench"], env=env, capture_output=True, text=True,
        check=True).stdout.strip().splitlines()[-1]
    server = start_server(env, port)
    base = f"http://127.0.0.1:{port}"
    rows = []
    acknowledged = refused = 0
    try:
        wrk(f"{base}/api/v1/health", 3, args.concurrency, env)  # warm up
        # Health before and after each intake run: this VM's speed drifts within seconds, and
        # the mean of the two either side is what the intake run is compared with.
        health = wrk(f"{base}/api/v1/health", args.seconds, args.concurrency, env)
        for run in range(args.runs):
            env["HELPDESK_BENCH_RUN"] = str(run)  # keys differ from run to run
            intake = wrk(base, args.seconds, args.concurrency, env, ROOT / "bench" / "intake.lua")
            after = wrk(f"{base}/api/v1/health", args.seconds, args.concurrency, env)
            acknowledged += intake[2]
            refused += intake[3]
            rows.append(((health[0] + after[0]) / 2, intake))
            health = after
    finally:
        server.terminate()
        stopping = time.monotonic()
        try:
            server.wait(timeout=120)
            print(f"(the server stopped {time.monotonic() - stopping:.1f} s after SIGTERM)")
        except subprocess.TimeoutExpired:
            server.kill()
            print("THE SERVER DID NOT STOP within 120 s of SIGTERM: killed")
    with sqlite3.connect(data_dir / "helpdesk.db") as db:
        stored = db.execute("SELECT count(*) FROM message WHERE direction = 'in'").fetchone()[0]
        keys = db.execute("SELECT count(*), count(DISTINCT key) FROM idempotency_record").fetchone()
    print(f"# intake by wrk, {time.strftime('%Y-%m-%d')}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, SQLite synchronous={args.synchronous}, "
          f"{args.concurrency} connections, {args.seconds} s a run")
    print(f"{'run':<5}{'health req/s':>14}{'intake msg/s':>14}{'intake / health':>17}{'intake mean ms':>16}")
    for n, (health_rate, intake) in enumerate(rows, 1):
        print(f"{n:<5}{health_rate:>14,.0f}{intake[0]:>14,.0f}{intake[0] / health_rate:>17.2f}{intake[1]:>16.1f}")
    print(f"{'median':<33}{statistics.median(i[0] / h for h, i in rows):>17.2f}  (health: the mean of the runs "
          f"just before and after)")
    in_flight = stored - acknowledged  # stored after their answer was cut off by wrk's stop
    ok = refused == 0 and 0 <= in_flight <= args.concurrency * args.runs and keys[0] == keys[1] == stored
    print(f"acknowledged {acknowledged:,}, refused {refused}, stored {stored:,} "
          f"({in_flight} in flight when wrk stopped), every key once: {keys[0] == keys[1]}"
          f" -> {'nothing lost or doubled' if ok else 'MISMATCH'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
