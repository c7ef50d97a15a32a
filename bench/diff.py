"""What Flet's update costs the server on the inbox list and on a thread: as Flet is, with
helpdesk/ui/flet_speedups.py (lazy debug lines in the diff, short control reprs), and with rows and messages isolated
(ui/widgets.Isolated, as the workspace has them), each in its own process.

    python bench/diff.py [--rows 50] [--messages 40] [--runs 200]

Times `page.update(control)` in a Flet session whose connection encodes each message as Flet's
socket server does (diff and encoding: all the server's work for an update) for: a new
message changing one inbox row's texts and moving it to the top, and a message appended to
an open thread. Everything in-process; no browser, no server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MODES = {"plain": "Flet as is", "reprs": "flet_speedups", "isolated": "+ isolated rows"}


def measure(rows: int, messages: int, runs: int, mode: str) -> dict[str, list[float]]:
    if mode != "plain":
        import helpdesk.ui.flet_speedups  # noqa: F401
    import flet as ft

    from helpdesk.models import IN, OPEN, Message
    from helpdesk.services.inbox import InboxRow
    from helpdesk.ui.widgets import Isolated
    from helpdesk.ui.workspace.inbox_list import InboxList
    from helpdesk.ui.workspace.thread import ThreadView
    from tests.ui.flet_wire import offline_page

    if mode != "isolated":  # as before: an update walks every row's (and message's) insides
        Isolated.is_isolated = lambda self: False  # type: ignore[method-assign]

    now = datetime.now(timezone.utc)

    def row(i: int, preview: str) -> InboxRow:
        return InboxRow(id=i, customer_name=f"Customer {i}", title=f"Order {i} has not arrived", preview=preview,
                        status=OPEN, priority="normal", waiting_since=now - timedelta(minutes=i),
                        last_message_at=now - timedelta(minutes=i), assignee_name="Bea", tags=["shipping"],
                        unread=bool(i % 2))

    async def run() -> dict[str, list[float]]:
        page, wire = offline_page(keep=False)  # noqa: F841  (the wire keeps the session alive)
        inbox = InboxList(page, None, None)  # type: ignore[arg-type]
        shown = [row(i, "Where is my parcel?") for i in range(1, rows + 1)]
        inbox.show(shown, None, now, True, "all", False)
        thread = ThreadView(page, timezone.utc)
        history = [Message(id=i, conversation_id=1, direction=IN, kind="message", body=f"Message {i} " * 8,
                           created_at=now - timedelta(minutes=messages - i)) for i in range(1, messages + 1)]
        # What ThreadView reads of a ConversationDetail, without a database behind it.
        detail = SimpleNamespace(conversation=SimpleNamespace(id=1), messages=history, attachments={},
                                 deliveries={}, payments={}, author_name=lambda message: "Customer")
        thread.show(detail, now)  # type: ignore[arg-type]
        page.add(ft.Row([ft.Container(inbox.view, width=400), ft.Container(thread.view, expand=True)], expand=True))

        def timed(*controls: object) -> float:
            start = time.perf_counter()
            page.update(*controls)  # type: ignore[arg-type]
            return (time.perf_counter() - start) * 1000

        results: dict[str, list[float]] = {"inbox: a row changes and moves to the top": [],
                                           "thread: one message appended": []}
        for n in range(runs):
            moved = row(rows - (n % rows), f"Any news? ({n})")
            shown = [moved] + [r for r in shown if r.id != moved.id]
            changed = inbox.show(shown, None, now, True, "all", False)
            results["inbox: a row changes and moves to the top"].append(timed(inbox.view, *changed))
            history.append(Message(id=messages + n + 1, conversation_id=1, direction=IN, kind="message",
                                   body=f"New message {n}", created_at=now))
            thread.show(detail, now)  # type: ignore[arg-type]
            results["thread: one message appended"].append(timed(thread.view))
        return results

    return asyncio.run(run())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--messages", type=int, default=40)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.rows, args.messages, args.runs, args.child)))
        return 0
    got = {}
    for mode in MODES:
        out = subprocess.run([sys.executable, __file__, "--child", mode, "--rows", str(args.rows), "--messages",
                              str(args.messages), "--runs", str(args.runs)], check=True, capture_output=True, text=True)
        got[mode] = json.loads(out.stdout)
    print(f"Flet update diff, {args.rows} inbox rows, a thread of {args.messages}, {args.runs} runs; "
          f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"{'update (p50 / p95 ms)':<44}" + "".join(f"{MODES[mode]:>26}" for mode in MODES))
    for name in got["plain"]:
        cells = []
        for mode in MODES:
            samples = sorted(got[mode][name])
            cells.append(f"{statistics.median(samples):.2f} / {samples[int(len(samples) * 0.95) - 1]:.2f}")
        print(f"{name:<44}" + "".join(f"{cell:>26}" for cell in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
