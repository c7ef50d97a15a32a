"""The server's share of a click: the real workspace on a Flet page with no browser behind it
(its messages encoded as the socket server would), on the demo shop plus a busier inbox.

    python bench/clicks.py [--runs 60] [--conversations 40]

Times, from the handler's start until the click's own update is encoded (what the browser
waits for; what is below the screen follows 0.1 s later and is timed apart):
opening one of six 200-message conversations, switching between the Mine, Unassigned and
All views, sending a reply (Ctrl+Enter: sent, set pending, shown in the thread) and a search
(Enter in the search box: the results in place of the list). "KB sent": the click's own update.
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
from typing import Awaitable

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
from workspace import AGENT, SEARCH_WORDS, percentile, prepare  # noqa: E402

VIEWS = ("mine", "unassigned", "all")


class Clicks:
    """Each click's time (handler start to its update encoded) and the bytes it sent at once."""

    def __init__(self, wire) -> None:  # type: ignore[no-untyped-def]
        self.wire = wire
        self.ms: dict[str, list[float]] = {}
        self.kb: dict[str, list[float]] = {}

    async def time(self, name: str, click: Awaitable[object]) -> None:
        mark = len(self.wire.sent)
        started = time.perf_counter()
        await click
        self.ms.setdefault(name, []).append((time.perf_counter() - started) * 1000)
        self.kb.setdefault(name, []).append(len(self.wire.sent_since(mark)) / 1024)


async def measure(app: HelpdeskApp, agent, threads, runs: int) -> Clicks:  # type: ignore[no-untyped-def]
    workspace, wire = await offline_workspace(app, agent, "bench")
    clicks = Clicks(wire)
    for n in range(runs):
        view = VIEWS[n % len(VIEWS)]
        workspace.rail.selected_index = list(VIEW_LABELS).index(view)
        await clicks.time(f"switch to {VIEW_LABELS[view]}", workspace._change_view())
        await asyncio.sleep(0.2)  # the rest of the list follows
    for n in range(runs):
        await clicks.time("open a 200-message conversation", workspace.open(threads[n % len(threads)][0]))
        await asyncio.sleep(0.2)  # the rest of its first page follows
    for n in range(runs):
        await workspace.open(threads[n % len(threads)][0])
        await asyncio.sleep(0.2)
        workspace.composer.set_text(f"Answer number {n}: the part is on its way.")
        await clicks.time("send a reply", workspace.actions.send(PENDING))
        await asyncio.sleep(0.2)  # the live refresh its own reply brings
    for n in range(runs):
        workspace.search_field.value = SEARCH_WORDS[n % len(SEARCH_WORDS)]
        await clicks.time("search (Enter, results shown)", workspace._on_search())
        await asyncio.sleep(0.2)  # the rest of the results follow
        await workspace.clear_search()
    await workspace.leave()
    del wire
    return clicks


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
        clicks = asyncio.run(measure(app, agent, threads, args.runs))
    finally:
        app.close()
    print(f"# clicks, the server's share, {time.strftime('%Y-%m-%d')}, {platform.node()}, "
          f"Python {platform.python_version()}; demo shop + {args.conversations} conversations, {args.runs} runs")
    print(f"{'click':<36}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}{'KB sent':>9}")
    for name, samples in clicks.ms.items():
        print(f"{name:<36}{percentile(samples, 0.5):>9.1f}{percentile(samples, 0.95):>9.1f}"
              f"{statistics.mean(samples):>9.1f}{statistics.median(clicks.kb[name]):>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
