"""The server's share of a click: the real workspace on a Flet page with no browser behind it
(its messages encoded as the socket server would), on the demo shop plus a busier inbox.

    python bench/clicks.py [--runs 60] [--conversations 40]

Times, from the handler's start until the click's own update is encoded (what the browser
waits for; what is below the screen follows 0.1 s later and is timed apart):
opening one of six 200-message conversations, switching between the Mine, Unassigned and
All views, and sending a reply (Ctrl+Enter: sent, set pending, shown in the thread).
Everything in-process; bench/workspace.py times the same clicks from a browser.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from helpdesk.app import HelpdeskApp  # noqa: E402
from helpdesk.clock import SystemClock  # noqa: E402
from helpdesk.config import Settings  # noqa: E402
from helpdesk.services.conversations import IncomingMessage  # noqa: E402
from helpdesk.services.demo import fill_demo  # noqa: E402
from sqlmodel import select  # noqa: E402

from helpdesk.models import PENDING, Agent  # noqa: E402
from helpdesk.ui import flet_speedups  # noqa: E402, F401
from helpdesk.ui.workspace.shell import VIEW_LABELS  # noqa: E402
from tests.ui.flet_wire import offline_workspace  # noqa: E402
from workspace import AGENT, percentile, prepare  # noqa: E402

VIEWS = ("mine", "unassigned", "all")


async def measure(app: HelpdeskApp, agent, threads, runs: int) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    workspace, wire = await offline_workspace(app, agent, "bench")
    results: dict[str, list[float]] = {}
    for n in range(runs):
        view = VIEWS[n % len(VIEWS)]
        workspace.rail.selected_index = list(VIEW_LABELS).index(view)
        started = time.perf_counter()
        await workspace._change_view()
        results.setdefault(f"switch to {VIEW_LABELS[view]}", []).append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.2)  # the rest of the list follows
    for n in range(runs):
        started = time.perf_counter()
        await workspace.open(threads[n % len(threads)][0])
        results.setdefault("open a 200-message conversation", []).append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.2)  # the rest of its first page follows
    for n in range(runs):
        await workspace.open(threads[n % len(threads)][0])
        await asyncio.sleep(0.2)
        workspace.composer.set_text(f"Answer number {n}: the part is on its way.")
        started = time.perf_counter()
        await workspace.actions.send(PENDING)
        results.setdefault("send a reply", []).append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.2)  # the live refresh its own reply brings
    await workspace.leave()
    del wire
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--conversations", type=int, default=40, help="customers writing in besides the demo's")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="helpdesk-clicks-"))
    app = HelpdeskApp(Settings(data_dir=data_dir, host="127.0.0.1", port=0)).start()
    try:
        fill_demo(app.db, app.settings, SystemClock())
        threads, _token = prepare(app)
        for n in range(args.conversations):
            app.services.conversations.receive(IncomingMessage(body=f"Any news on my order {n}?",
                                                               email=f"customer{n}@example.com"))
        with app.db.read() as session:
            agent = session.exec(select(Agent).where(Agent.email == AGENT[0])).one()
        results = asyncio.run(measure(app, agent, threads, args.runs))
    finally:
        app.close()
    print(f"# clicks, the server's share, {time.strftime('%Y-%m-%d')}, {platform.node()}, "
          f"Python {platform.python_version()}; demo shop + {args.conversations} conversations, {args.runs} runs")
    print(f"{'click':<36}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}")
    for name, samples in results.items():
        print(f"{name:<36}{percentile(samples, 0.5):>9.1f}{percentile(samples, 0.95):>9.1f}{statistics.mean(samples):>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
