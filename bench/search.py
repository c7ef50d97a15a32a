"""Search at a million messages: the whole search an agent runs (messages, subjects, customers,
the rows shown) and the message part alone, for a common word, a prefix of one, two words, one
letter and a rare word.

    python bench/search.py [--conversations 200000] [--data DIR] [--runs 21]

Builds bench/dataset.py's shop (5 messages a conversation: a million by default) in DIR, or a
temporary folder, once; a DIR that already holds it is reused.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from dataset import load  # noqa: E402
from timing import timed  # noqa: E402

from helpdesk.app import HelpdeskApp  # noqa: E402
from helpdesk.config import Settings  # noqa: E402
from helpdesk.db import fts  # noqa: E402

QUERIES = [("a common word", "delivery"), ("its first letters", "deliv"), ("two words", "damaged parcel"),
           ("one letter", "o"), ("a rare word", "zyzzyva")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=200_000)
    parser.add_argument("--data", type=Path, help="a folder to keep the dataset in (reused when it is there)")
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    os.environ.setdefault("HELPDESK_MDNS", "0")
    data = args.data or Path(tempfile.mkdtemp(prefix="helpdesk-search-"))
    data.mkdir(parents=True, exist_ok=True)
    fresh = not (data / "helpdesk.db").exists()
    app = HelpdeskApp(Settings(data_dir=data, port=0)).start()
    try:
        if fresh:
            load(app.db, args.conversations // 2, args.conversations, 5)
        with sqlite3.connect(data / "helpdesk.db") as db:
            messages = db.execute("SELECT count(*) FROM message").fetchone()[0]
        print(f"# search, {time.strftime('%Y-%m-%d')}, {platform.node()}, {os.cpu_count()} cores, "
              f"SQLite {sqlite3.sqlite_version}, {messages:,} messages; ms, median / p95 of {args.runs}")
        print(f"{'query':<30}{'whole search':>16}{'messages alone':>18}")
        for label, query in QUERIES:
            whole = timed(lambda: app.services.search.search(query), args.runs)
            with app.db.read() as session:
                alone = timed(lambda: fts.search_messages(session, query, 20), args.runs)
            print(f"{label + ' (' + query + ')':<30}{whole[0]:>8.1f} / {whole[1]:<5.1f}{alone[0]:>10.1f} / {alone[1]:.1f}")
    finally:
        app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
