"""SLA scan benchmark: the minute-by-minute scan over many open conversations.

    python bench/sla_scan.py [--open 100000] [--overdue-share 0.1] [--runs 20]

Loads N open conversations whose clocks run (due times spread over the next days, a
share of them already past), then times the first scan (which records every breach,
as after a PC was off) and the steady-state scans that follow (nothing new to record).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dataset import load  # noqa: E402

from helpdesk.app import HelpdeskApp  # noqa: E402
from helpdesk.clock import ManualClock  # noqa: E402
from helpdesk.config import Settings  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--open", type=int, default=100_000, help="open conversations")
    parser.add_argument("--overdue-share", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    now = datetime.now(timezone.utc).replace(microsecond=0)
    clock = ManualClock(now)
    app = HelpdeskApp(Settings(data_dir=Path(tempfile.mkdtemp(prefix="helpdesk-sla-"))), clock=clock).start()
    loaded = load(app.db, customers=max(1000, args.open // 2), conversations=args.open, messages_per=1)
    overdue_every = max(1, round(1 / args.overdue_share)) if args.overdue_share else 0
    with app.db.engine.begin() as conn:
        # Every conversation open and waiting, one response clock and one resolution clock running.
        conn.execute(text(
            "UPDATE conversation SET status = 'open', response_target = 'first_response', "
            "response_message_id = last_message_id, resolution_message_id = last_message_id, "
            "response_resumed_at = :now, resolution_resumed_at = :now, "
            "response_due_at = CASE WHEN :every > 0 AND id % :every = 0 THEN :past ELSE :future END, "
            "response_risk_at = :future, resolution_due_at = :far, resolution_risk_at = :far"),
            {"now": now.replace(tzinfo=None), "every": overdue_every,
             "past": (now - timedelta(hours=1)).replace(tzinfo=None),
             "future": (now + timedelta(days=2)).replace(tzinfo=None),
             "far": (now + timedelta(days=5)).replace(tzinfo=None)})
    started = time.perf_counter()
    first = app.services.sla.scan()
    first_ms = (time.perf_counter() - started) * 1000
    samples = []
    for _ in range(args.runs):
        clock.advance(minutes=1)
        started = time.perf_counter()
        found = app.services.sla.scan()
        samples.append((time.perf_counter() - started) * 1000)
        assert found == [], "a breach was recorded twice"
    samples.sort()
    print(f"# SLA scan benchmark, {time.strftime('%Y-%m-%d')}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, SQLite")
    print(f"# {loaded['conversations']:,} open conversations with running clocks, "
          f"{len(first):,} of them overdue")
    print(f"{'scan':<46}{'ms':>10}")
    print(f"{'first scan (records every breach, catch-up)':<46}{first_ms:>10.1f}")
    print(f"{'steady-state scan p50':<46}{statistics.median(samples):>10.1f}")
    print(f"{'steady-state scan p95':<46}{samples[int(0.95 * (len(samples) - 1))]:>10.1f}")
    app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
