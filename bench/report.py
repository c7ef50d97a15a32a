"""Report benchmark: the summary over a database of about a million messages.

    python bench/report.py [--conversations 200000] [--messages-per 5] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dataset import load  # noqa: E402

from helpdesk.app import HelpdeskApp  # noqa: E402
from helpdesk.config import Settings  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=200_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--messages-per", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    app = HelpdeskApp(Settings(data_dir=Path(tempfile.mkdtemp(prefix="helpdesk-report-")))).start()
    loaded = load(app.db, args.customers, args.conversations, args.messages_per)
    today = app.clock.now().date()
    rows = []
    for label, days in (("last 30 days", 30), ("last 90 days", 90), ("last 365 days", 365)):
        samples = []
        for _ in range(args.runs):
            started = time.perf_counter()
            summary = app.services.reports.summary(today - timedelta(days=days - 1), today)
            samples.append((time.perf_counter() - started) * 1000)
        rows.append((label, summary.conversations_created, min(samples), max(samples)))
    print(f"# report benchmark, {time.strftime('%Y-%m-%d')}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, SQLite")
    print(f"# dataset: {loaded['conversations']:,} conversations, {loaded['messages']:,} messages over two years")
    print(f"{'period':<18}{'conversations':>15}{'best ms':>10}{'worst ms':>10}")
    for label, created, best, worst in rows:
        print(f"{label:<18}{created:>15,}{best:>10.0f}{worst:>10.0f}")
    app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
