"""Read benchmarks on a large dataset: inbox pages and counts, customer history, search
(beside a plain LIKE scan of the same data).

    python bench/reads.py [--conversations 100000] [--messages-per 3] [--runs 50]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dataset import load  # noqa: E402
from timing import timed  # noqa: E402

from helpdesk.app import HelpdeskApp  # noqa: E402
from helpdesk.config import Settings  # noqa: E402
from helpdesk.services.inbox import InboxQuery  # noqa: E402
from helpdesk.services.base import Actor


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--messages-per", type=int, default=3)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="helpdesk-reads-"))
    app = HelpdeskApp(Settings(data_dir=data_dir)).start()
    loaded = load(app.db, args.customers, args.conversations, args.messages_per)
    agent = app.services.agents.create("bench@shop.example", "Bench", "bench-password", actor=Actor.system())
    s = app.services
    rng = random.Random(1)
    rows: list[tuple[str, float, float]] = []

    for label, query in (("inbox page: all, open, longest waiting", InboxQuery(view="all", status="open")),
                         ("inbox page: unassigned, open", InboxQuery(view="unassigned", status="open")),
                         ("inbox page: all, resolved, newest", InboxQuery(view="all", status="resolved")),
                         ("inbox page: any status, priority urgent", InboxQuery(status="any", priority="urgent"))):
        rows.append((label, *timed(lambda q=query: s.inbox.page(q, agent.id), args.runs)))
    first = s.inbox.page(InboxQuery(status="resolved"), agent.id)
    rows.append(("inbox page 2 (cursor), resolved", *timed(
        lambda: s.inbox.page(InboxQuery(status="resolved"), agent.id, first.cursor), args.runs)))
    rows.append(("inbox counts (3 views)", *timed(lambda: s.inbox.counts(InboxQuery(status="open"), agent.id), args.runs)))
    rows.append(("customer history", *timed(lambda: s.customers.history(rng.randint(1, args.customers)), args.runs)))
    rows.append(("open a conversation", *timed(lambda: s.conversations.get(rng.randint(1, args.conversations)), args.runs)))
    rows.append(("search: common word (delivery)", *timed(lambda: s.search.search("delivery"), args.runs)))
    rows.append(("search: two words (damaged parcel)", *timed(lambda: s.search.search("damaged parcel"), args.runs)))
    rows.append(("search: rare word", *timed(lambda: s.search.search("zyzzyva"), args.runs)))
    rows.append(("search: email address", *timed(lambda: s.search.search("customer4242@example.com"), args.runs)))

    def like_scan() -> None:
        with app.db.read() as session:
            session.execute(text("SELECT id FROM message WHERE body LIKE '%zyzzyva%' LIMIT 20")).all()

    like = timed(like_scan, max(5, args.runs // 10))
    rows.append(("LIKE '%word%' scan (rare word)", *like))
    size_mb = (data_dir / "helpdesk.db").stat().st_size / 1e6

    print(f"# read benchmarks, {time.strftime('%Y-%m-%d')}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, SQLite")
    print(f"# dataset: {loaded['customers']:,} customers, {loaded['conversations']:,} conversations, "
          f"{loaded['messages']:,} messages, loaded in {loaded['seconds']:.0f} s, database {size_mb:.0f} MB")
    print(f"{'operation':<44}{'p50 ms':>9}{'p95 ms':>9}")
    for label, p50, p95 in rows:
        print(f"{label:<44}{p50:>9.2f}{p95:>9.2f}")
    rare = next(r for r in rows if r[0] == "search: rare word")
    print(f"LIKE scan / FTS search (rare word, p50): {like[0] / rare[1]:.0f}x")
    app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
