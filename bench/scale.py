"""The scale benchmark: every figure that matters at a million messages, in one table.

    python bench/scale.py                      # SQLite, the default shop
    python bench/scale.py --postgresql         # the same on a private PostgreSQL server
    python bench/scale.py --conversations 20000 --sessions 5   # a quick run

Builds a seeded dataset (100,000 customers, 200,000 conversations, 1,000,000 messages by
default), then measures in-process reads (inbox page, customer history, search beside a
LIKE scan, report, SLA scan), then starts a real server process on that data and
measures start-up, intake beside the health ceiling, and server memory with N signed-in
web sessions in Chromium. Prints one table with the aims beside the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dataset import load  # noqa: E402
from httpload import build_request, run_load  # noqa: E402
from timing import timed  # noqa: E402

from helpdesk.app import HelpdeskApp  # noqa: E402
from helpdesk.clock import ManualClock  # noqa: E402
from helpdesk.config import Settings  # noqa: E402
from helpdesk.services.inbox import InboxQuery  # noqa: E402
from helpdesk.services.base import Actor
from tests.helpers import free_port, wait_until_healthy  # noqa: E402


@dataclass
class Row:
    measure: str
    value: str
    aim: str = ""
    met: bool | None = None


def rss_mb(pid: int) -> tuple[float, float]:
    """Resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def in_process(app: HelpdeskApp, args, clock: ManualClock, rows: list[Row]) -> None:  # type: ignore[no-untyped-def]
    s = app.services
    agent = s.agents.authenticate("bench@shop.example", "bench-password")
    rng = random.Random(1)
    runs = args.runs
    _, p95 = timed(lambda: s.inbox.page(InboxQuery(view="all", status="open"), agent.id), runs)
    rows.append(Row("inbox page p95 (open, longest waiting)", f"{p95:.1f} ms", "< 20 ms", p95 < 20))
    _, p95 = timed(lambda: s.inbox.page(InboxQuery(view="all", status="resolved"), agent.id), runs)
    rows.append(Row("inbox page p95 (resolved, newest)", f"{p95:.1f} ms", "< 20 ms", p95 < 20))
    _, p95 = timed(lambda: s.customers.history(rng.randint(1, args.customers)), runs)
    rows.append(Row("customer history p95", f"{p95:.1f} ms", "< 20 ms", p95 < 20))
    words = ["delivery", "damaged parcel", "zyzzyva", "warranty battery", "custom"]
    _, search95 = timed(lambda: s.search.search(rng.choice(words)), runs)
    rows.append(Row("search p95 (common, two-word, rare, prefix)", f"{search95:.1f} ms", "< 50 ms", search95 < 50))
    rare50, rare95 = timed(lambda: s.search.search("zyzzyva"), runs)

    def like_scan() -> None:
        with app.db.read() as session:
            session.execute(text("SELECT id FROM message WHERE body LIKE '%zyzzyva%' LIMIT 20")).all()

    like50, _ = timed(like_scan, max(3, runs // 10))
    rows.append(Row("LIKE '%word%' scan of the same text (rare word)", f"{like50:.0f} ms",
                    f"search is {like50 / rare50:.0f}x faster"))
    today = clock.now().date()
    report_ms = min(timed(lambda: s.reports.summary(today - timedelta(days=29), today), 3))
    rows.append(Row("report summary, last 30 days (median of 3)", f"{report_ms:.0f} ms", "< 1 s", report_ms < 1000))

    # SLA: every open conversation gets running clocks, a tenth of them already overdue.
    now = clock.now().replace(tzinfo=None)
    with app.db.engine.begin() as conn:
        opened = conn.execute(text(
            "UPDATE conversation SET response_target = 'first_response', response_message_id = last_message_id, "
            "resolution_message_id = last_message_id, response_resumed_at = :now, resolution_resumed_at = :now, "
            "response_due_at = CASE WHEN id % 10 = 0 THEN :past ELSE :future END, response_risk_at = :future, "
            "resolution_due_at = :far, resolution_risk_at = :far WHERE status = 'open'"),
            {"now": now, "past": now - timedelta(hours=1), "future": now + timedelta(days=2),
             "far": now + timedelta(days=5)}).rowcount
    started = time.perf_counter()
    first = s.sla.scan()
    first_ms = (time.perf_counter() - started) * 1000
    samples = []
    for _ in range(10):
        clock.advance(minutes=1)
        started = time.perf_counter()
        s.sla.scan()
        samples.append((time.perf_counter() - started) * 1000)
    rows.append(Row(f"SLA scan, steady ({opened:,} open, running clocks)", f"{max(samples):.0f} ms", "< 200 ms",
                    max(samples) < 200))
    rows.append(Row(f"SLA scan, first (records {len(first):,} breaches)", f"{first_ms:.0f} ms"))


def database_size_mb(app: HelpdeskApp, data_dir: Path) -> float:
    if app.db.is_sqlite:
        return sum(p.stat().st_size for p in data_dir.glob("helpdesk.db*")) / 1e6
    with app.db.engine.connect() as conn:
        return conn.execute(text("SELECT pg_database_size(current_database())")).scalar() / 1e6


def server_figures(args, data_dir: Path, database_url: str | None, token: str, rows: list[Row]) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_") and k != "DISPLAY"}
    env.update({"HELPDESK_INTAKE_PER_MINUTE": "0"})  # measure the server, not the flood guard
    if database_url:
        env["HELPDESK_DATABASE_URL"] = database_url
    server = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve", "--host", "127.0.0.1",
                               "--port", str(port), "--data-dir", str(data_dir)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        startup = wait_until_healthy(f"http://127.0.0.1:{port}", server, timeout=120)
        rows.append(Row("start-up to first HTTP 200 (migrations checked)", f"{startup:.2f} s", "< 3 s", startup < 3))
        host = f"127.0.0.1:{port}"
        run_load("127.0.0.1", port, 300, 4, lambda i: build_request("GET", "/api/v1/health", host))
        health = run_load("127.0.0.1", port, args.messages, 16, lambda i: build_request("GET", "/api/v1/health", host))
        auth = {"Authorization": f"Bearer {token}"}
        intake = run_load("127.0.0.1", port, args.messages, 16, lambda i: build_request(
            "POST", "/api/v1/messages", host, auth,
            {"customer": {"email": f"customer{1 + i % args.customers}@example.com"},
             "body": f"Message {i}: my order has not arrived yet, could you check the tracking?",
             "idempotency_key": f"scale-{i}"}))
        assert intake.ok == args.messages, intake.statuses
        rows.append(Row("health ceiling (GET /api/v1/health, 16 clients)", f"{health.rate:,.0f} req/s"))
        rows.append(Row("intake (POST /api/v1/messages, 16 clients)",
                        f"{intake.rate:,.0f} msg/s, p50 {intake.percentile(50):.0f} ms, p99 {intake.percentile(99):.0f} ms",
                        f"{intake.rate / health.rate:.0%} of the ceiling"))
        idle, _ = rss_mb(server.pid)
        rows.append(Row("server memory, idle after intake", f"{idle:.0f} MB"))
        if args.sessions:
            with_sessions, peak = sessions_memory(f"http://127.0.0.1:{port}", server.pid, args.sessions)
            rows.append(Row(f"server memory with {args.sessions} signed-in web sessions",
                            f"{with_sessions:.0f} MB (peak {peak:.0f})", "< 300 MB", with_sessions < 300))
    finally:
        server.terminate()
        server.wait(timeout=30)


def sessions_memory(url: str, pid: int, sessions: int) -> tuple[float, float]:
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS, open_app, shown, sign_in

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pages = []
        for _ in range(sessions):
            page = open_app(browser.new_context(viewport={"width": 1280, "height": 800}), url)
            sign_in(page, "bench@shop.example", "bench-password")
            shown(page, "Unassigned").wait_for(timeout=60_000)
            pages.append(page)
        time.sleep(3)  # let every session settle
        figures = rss_mb(pid)
        browser.close()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--conversations", type=int, default=200_000)
    parser.add_argument("--messages-per", type=int, default=5)
    parser.add_argument("--runs", type=int, default=100, help="samples per read measurement")
    parser.add_argument("--messages", type=int, default=3000, help="messages posted in the intake run")
    parser.add_argument("--sessions", type=int, default=20, help="signed-in web sessions for the memory figure")
    parser.add_argument("--postgresql", nargs="?", const="private", metavar="URL",
                        help="run on PostgreSQL: a private server with default (durable) settings, "
                             "or the empty database at URL")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="helpdesk-scale-"))
    pg = None
    database_url = None
    if args.postgresql == "private":
        from tests.pgserver import PostgresServer

        pg = PostgresServer.start(durable=True)  # fsync and synchronous commit on, as a shop runs it
        pg.execute("CREATE DATABASE helpdesk_scale")
        database_url = pg.url_for("helpdesk_scale")
    elif args.postgresql:
        database_url = args.postgresql
    try:
        clock = ManualClock(datetime.now(timezone.utc).replace(microsecond=0))
        app = HelpdeskApp(Settings(data_dir=data_dir, database_url=database_url), clock=clock).start()
        loaded = load(app.db, args.customers, args.conversations, args.messages_per)
        if not app.db.is_sqlite:  # as autovacuum would have by now on a shop's server
            with app.db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        app.services.agents.create("bench@shop.example", "Bench Agent", "bench-password", actor=Actor.system())
        token = app.services.tokens.create("scale bench", actor=Actor.system()).plaintext
        rows: list[Row] = []
        in_process(app, args, clock, rows)
        size = database_size_mb(app, data_dir)
        app.close()
        rows.append(Row("database size", f"{size:,.0f} MB"))
        server_figures(args, data_dir, database_url, token, rows)
    finally:
        if pg is not None:
            pg.stop()

    engine = "SQLite" if database_url is None else "PostgreSQL"
    print(f"# scale benchmark, {time.strftime('%Y-%m-%d')}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {engine}")
    print(f"# dataset: {loaded['customers']:,} customers, {loaded['conversations']:,} conversations, "
          f"{loaded['messages']:,} messages, loaded in {loaded['seconds']:.0f} s")
    width = max(len(r.measure) for r in rows) + 2
    print(f"{'measure':<{width}}{'result':<44}{'aim':<22}")
    for r in rows:
        mark = "" if r.met is None else (" met" if r.met else " NOT MET")
        print(f"{r.measure:<{width}}{r.value:<44}{r.aim + mark:<22}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
