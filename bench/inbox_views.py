"""Every inbox view and status filter at a million messages: the first page, the next page
(by cursor) and the views' counts, for an agent who holds conversations and for one who holds
none (a new colleague), on SQLite and optionally a private PostgreSQL.

    python bench/inbox_views.py [--conversations 200000] [--messages-per 5] [--runs 5] [--postgresql]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dataset import load  # noqa: E402
from engines import dataset_arguments, on_each_engine  # noqa: E402
from timing import timed  # noqa: E402

from helpdesk.app import HelpdeskApp  # noqa: E402
from helpdesk.config import Settings  # noqa: E402
from helpdesk.services.base import Actor  # noqa: E402
from helpdesk.services.inbox import STATUS_FILTERS, InboxQuery  # noqa: E402

STATUS_VIEWS = ("mine", "unassigned", "all")  # the views the status filter applies to
CLOCK_VIEWS = ("overdue", "at_risk", "bot")  # open (or unresolved) conversations whatever the filter


def queries() -> list[tuple[str, InboxQuery]]:
    out = [(f"{view} · {status}", InboxQuery(view=view, status=status))
           for view in STATUS_VIEWS for status in STATUS_FILTERS]
    return out + [(view, InboxQuery(view=view)) for view in CLOCK_VIEWS]


def measure(args: argparse.Namespace, database_url: str | None) -> dict:
    app = HelpdeskApp(Settings(data_dir=Path(tempfile.mkdtemp(prefix="helpdesk-views-")),
                               database_url=database_url)).start()
    result: dict = {"engine": "SQLite" if database_url is None else "PostgreSQL", "cells": {}}
    try:
        result["loaded"] = load(app.db, args.customers, args.conversations, args.messages_per)
        if not app.db.is_sqlite:  # as autovacuum would have by now on a shop's server (the visibility
            # map too, which lets a count read an index alone)
            with app.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        inbox = app.services.inbox
        with app.db.read() as s:  # bench/dataset.py's first agent: about a sixth of everything
            holder = s.execute(text("SELECT id FROM agent WHERE email = 'dataset-agent0@shop.example'")).scalar_one()
        newcomer = app.services.agents.create("bench@shop.example", "Bench", "bench-password",
                                              actor=Actor.system()).id
        for label, query in queries():
            for who, agent_id in (("holder", holder), ("newcomer", newcomer)):
                first = inbox.page(query, agent_id)
                cells = {"rows": len(first.rows), "page": timed(lambda: inbox.page(query, agent_id), args.runs)}
                if first.cursor:
                    cells["next"] = timed(lambda: inbox.page(query, agent_id, first.cursor), args.runs)
                result["cells"][(label, who)] = cells
        for status in STATUS_FILTERS:
            result["cells"][(f"counts · {status}", "holder")] = {"page": timed(
                lambda: inbox.counts(InboxQuery(status=status), holder), args.runs)}
            # The live inboxes' read, shared by every agent: the team's counts and each one's Mine.
            result["cells"][(f"shared counts · {status}", "holder")] = {"page": timed(
                lambda: (inbox.shared.forget(), inbox.counts(InboxQuery(status=status), holder, shared=True)),
                args.runs)}
    finally:
        app.close()
    return result


def cell(cells: dict | None, key: str) -> str:
    if not cells or key not in cells:
        return "–"
    p50, p95 = cells[key]
    return f"{p50:,.0f} / {p95:,.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    dataset_arguments(parser)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results = on_each_engine(args, measure, "helpdesk_views")
    loaded = results[0]["loaded"]
    print(f"# inbox views, {time.strftime('%Y-%m-%d')}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; {loaded['messages']:,} messages in {loaded['conversations']:,} "
          f"conversations; ms, p50 / p95 of {args.runs} (the slowest, under 20 runs); holder: an agent with "
          f"a sixth of the conversations, newcomer: one with none")
    columns = [(r["engine"], who, key) for r in results for who in ("holder", "newcomer") for key in ("page", "next")]
    print(f"{'view · status':<22}" + "".join(f"{f'{e} {w} {k}':>28}" for e, w, k in columns))
    for label in [q[0] for q in queries()] + [f"{kind}counts · {s}" for kind in ("", "shared ")
                                              for s in STATUS_FILTERS]:
        print(f"{label:<22}" + "".join(f"{cell(r['cells'].get((label, who)), key):>28}"
                                       for r in results for who in ("holder", "newcomer")
                                       for key in ("page", "next")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
