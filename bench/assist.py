"""Assist benchmark: similar-conversation lookup (and the canned ranking with it) at a million
messages, on SQLite and on a private PostgreSQL, one table.

    python bench/assist.py [--conversations 200000] [--messages-per 5] [--runs 200] [--postgresql]

The dataset is bench/dataset.py's (seeded; 91 % of conversations resolved); each run opens a
random open conversation of it and asks for its similar solved conversations, as the workspace
does beside every conversation it opens.
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
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from dataset import load  # noqa: E402
from engines import dataset_arguments, on_each_engine  # noqa: E402

from helpdesk.app import HelpdeskApp  # noqa: E402
from helpdesk.clock import ManualClock  # noqa: E402
from helpdesk.config import Settings  # noqa: E402
from helpdesk.models import Conversation  # noqa: E402
from helpdesk.services.base import Actor  # noqa: E402


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def measure(args: argparse.Namespace, database_url: str | None) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="helpdesk-bench-assist-"))
    clock = ManualClock(datetime.now(timezone.utc).replace(microsecond=0))
    app = HelpdeskApp(Settings(data_dir=data_dir, database_url=database_url), clock=clock).start()
    try:
        loaded = load(app.db, args.customers, args.conversations, args.messages_per)
        if not app.db.is_sqlite:  # as autovacuum would have by now on a shop's server
            with app.db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        for i, (title, body) in enumerate((("Late parcel", "Sorry, your parcel is late: the courier has it."),
                                           ("Refund", "Your refund was issued; banks take 3-5 days."),
                                           ("Warranty", "It is under warranty: bring it in."))):
            app.services.canned.create(title, body, Actor.system())
        with app.db.read() as s:
            C = Conversation.__table__  # type: ignore[attr-defined]
            open_ids = list(s.execute(select(C.c.id).where(C.c.status == "open")).scalars())
        rng = random.Random(7)
        assist = app.services.assist
        for cid in rng.sample(open_ids, 10):  # warm the caches, as a running server has them
            assist.similar(cid)
        lookups, with_canned, found = [], [], []
        for cid in rng.sample(open_ids, min(args.runs, len(open_ids))):
            started = time.perf_counter()
            similar = assist.similar(cid)
            lookups.append((time.perf_counter() - started) * 1000)
            assist.suggestions(cid, similar)
            with_canned.append((time.perf_counter() - started) * 1000)
            found.append(len(similar))
    finally:
        app.close()
    return {"engine": "SQLite" if database_url is None else "PostgreSQL", "loaded": loaded, "lookups": lookups,
            "with_canned": with_canned, "found": statistics.mean(found)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    dataset_arguments(parser)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    results = on_each_engine(args, measure, "helpdesk_assist")
    loaded = results[0]["loaded"]
    print(f"# assist benchmark, {time.strftime('%Y-%m-%d')}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; {loaded['messages']:,} messages in {loaded['conversations']:,} "
          f"conversations, {args.runs} lookups each")
    print(f"{'database':<12}{'similar p50':>13}{'p95':>9}{'max':>9}{'+ canned p50':>14}{'p95':>9}{'found':>7}{'aim':>16}")
    for r in results:
        p95 = percentile(r["lookups"], 0.95)
        print(f"{r['engine']:<12}{percentile(r['lookups'], 0.5):>10.1f} ms{p95:>6.1f} ms{max(r['lookups']):>6.1f} ms"
              f"{percentile(r['with_canned'], 0.5):>11.1f} ms{percentile(r['with_canned'], 0.95):>6.1f} ms"
              f"{r['found']:>7.1f}{'< 100 ms: ' + ('met' if p95 < 100 else 'NOT MET'):>16}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
