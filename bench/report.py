"""Report benchmark: the summary over a database of about a million messages, from the stored
days (the roll-ups) and, for comparison, computed exactly from every message as before them.

    python bench/report.py [--conversations 200000] [--messages-per 5] [--runs 5] [--postgresql]

For each database: the exact computation for 30 and 365 days (what a report cost before the
roll-ups); `reports rebuild`'s work (every day of two years computed and stored); the summary for
1 day to 2 years from stored days (p50 and worst of --runs); the first year's report after 500
new customer messages and replies to the last two weeks' conversations (the changed days computed
again); and a check that the
year's figures from stored days equal the exact ones.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dataset import load  # noqa: E402
from engines import dataset_arguments, on_each_engine  # noqa: E402

from helpdesk.app import HelpdeskApp  # noqa: E402
from helpdesk.clock import ManualClock  # noqa: E402
from helpdesk.config import Settings  # noqa: E402
from helpdesk.models import Conversation  # noqa: E402
from helpdesk.services.base import Actor  # noqa: E402
from helpdesk.services.conversations import IncomingMessage  # noqa: E402

PERIODS = (("1 day", 1), ("7 days", 7), ("30 days", 30), ("90 days", 90), ("365 days", 365), ("2 years", 730))


def ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000


def measure(args: argparse.Namespace, database_url: str | None) -> dict:
    clock = ManualClock(datetime.now(timezone.utc).replace(microsecond=0))
    app = HelpdeskApp(Settings(data_dir=Path(tempfile.mkdtemp(prefix="helpdesk-report-")), database_url=database_url),
                      clock=clock).start()
    result: dict = {"engine": "SQLite" if database_url is None else "PostgreSQL"}
    try:
        result["loaded"] = load(app.db, args.customers, args.conversations, args.messages_per)
        if not app.db.is_sqlite:  # as autovacuum would have by now on a shop's server
            with app.db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        reports = app.services.reports
        tz = app.services.sla.rules().calendar.tz
        today = clock.now().astimezone(tz).date()
        result["exact"] = {}
        for days in (30, 365):
            started = time.perf_counter()
            reports.summary(today - timedelta(days=days - 1), today, exact=True)
            result["exact"][days] = ms(started)
        started = time.perf_counter()
        result["rebuilt_days"] = reports.rebuild_rollups()
        result["rebuild"] = ms(started)
        result["stored"] = {}
        for label, days in PERIODS:
            samples = []
            for _ in range(args.runs):
                started = time.perf_counter()
                summary = reports.summary(today - timedelta(days=days - 1), today)
                samples.append(ms(started))
            result["stored"][label] = (summary.conversations_created, statistics.median(samples), max(samples))
        # A busy stretch: 250 customers write and are answered, and 250 replies go to the conversations
        # of the last two weeks (where a shop's replies go).
        agent = app.services.agents.create("bench@shop.example", "Bench Agent", "bench-password", "admin",
                                           actor=Actor.system())
        actor = Actor.for_agent(agent)
        rng = random.Random(3)
        with app.db.read() as s:
            C = Conversation.__table__  # type: ignore[attr-defined]
            recent = list(s.execute(select(C.c.id).where(C.c.created_at >= clock.now() - timedelta(days=14)))
                          .scalars())
        for n in range(250):
            clock.advance(timedelta(seconds=20))
            got = app.services.conversations.receive(IncomingMessage(body=f"Where is order {n}?",
                                                                     email=f"customer{rng.randint(1, 99_999)}@example.com"))
            app.services.conversations.reply(got.conversation_id, actor, "On its way.")
            app.services.conversations.reply(rng.choice(recent), actor, "Any news on this?")
        started = time.perf_counter()
        reports.summary(today - timedelta(days=364), today)
        result["after_burst"] = ms(started)
        year = (today - timedelta(days=364), today)
        result["same"] = reports.summary(*year) == reports.summary(*year, exact=True)
    finally:
        app.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    dataset_arguments(parser)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results = on_each_engine(args, measure, "helpdesk_report")
    loaded = results[0]["loaded"]
    print(f"# report benchmark, {time.strftime('%Y-%m-%d')}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; {loaded['messages']:,} messages in {loaded['conversations']:,} "
          f"conversations over two years; p50 / worst of {args.runs}")
    names = [r["engine"] for r in results]
    print(f"{'measure':<44}" + "".join(f"{n:>22}" for n in names))

    def row(label: str, cells: list[str]) -> None:
        print(f"{label:<44}" + "".join(f"{c:>22}" for c in cells))

    row("exact, 30 days (before roll-ups)", [f"{r['exact'][30]:,.0f} ms" for r in results])
    row("exact, 365 days (before roll-ups)", [f"{r['exact'][365]:,.0f} ms" for r in results])
    row("rebuild: every day of two years stored", [f"{r['rebuild'] / 1000:,.1f} s ({r['rebuilt_days']} days)"
                                                    for r in results])
    for label, _ in PERIODS:
        row(f"from stored days: {label}", [f"{r['stored'][label][1]:,.0f} / {r['stored'][label][2]:,.0f} ms"
                                           for r in results])
    row("365 days after 500 new messages", [f"{r['after_burst']:,.0f} ms" for r in results])
    row("365 days: stored = exact", ["yes" if r["same"] else "NO" for r in results])
    worst = max(r["stored"][label][2] for r in results for label, _ in PERIODS)
    print(f"aim: any period from a day to two years under 300 ms: {'met' if worst < 300 else 'NOT MET'} "
          f"(worst {worst:,.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
