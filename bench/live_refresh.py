"""The server's share of a live update: one agent's workspace (the real one, on a Flet page with
no browser behind it, whose messages are encoded as the socket server would) on the demo shop
with a 200-message conversation open, while a customer message arrives.

    python bench/live_refresh.py [--runs 100] [--agents 50]

Times, per new customer message: the refresh of the inbox (read, draw, diff, encode) when the
message is in another conversation, and the refresh of the open thread when it is in the open
one. N agents watching cost the server about N times the first: what bench/sessions.py sees
from outside, less the browsers' own work.
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

from helpdesk import events  # noqa: E402
from helpdesk.app import HelpdeskApp  # noqa: E402
from helpdesk.clock import SystemClock  # noqa: E402
from helpdesk.config import Settings  # noqa: E402
from helpdesk.services.base import Actor  # noqa: E402
from helpdesk.services.conversations import IncomingMessage  # noqa: E402
from helpdesk.services.demo import fill_demo  # noqa: E402
from helpdesk.ui import flet_speedups  # noqa: E402, F401
from tests.ui.flet_wire import offline_workspace  # noqa: E402


async def measure(app: HelpdeskApp, runs: int) -> dict[str, list[float]]:
    services = app.services
    bea = services.agents.create("bea@bench.example", "Bea Bench", "bench-password", role="admin",
                                 actor=Actor.system())
    actor = Actor.for_agent(bea)
    first = services.conversations.receive(IncomingMessage(body="My battery drains", email="long@bench.example"))
    for k in range(99):
        services.conversations.reply(first.conversation_id, actor, f"Reply {k}: try charging it to 80 %.", then="open")
        services.conversations.receive(IncomingMessage(body=f"Update {k}: the same.", email="long@bench.example",
                                                       conversation_id=first.conversation_id))
    workspace, wire = await offline_workspace(app, bea, "bench")
    await workspace.open(first.conversation_id)
    results: dict[str, list[float]] = {"inbox: a message in another conversation": [],
                                       "open thread: a message in it": []}
    for n in range(runs):
        for name, conversation_id in (("inbox: a message in another conversation", None),
                                      ("open thread: a message in it", first.conversation_id)):
            email = f"customer{n % 40}@example.com" if conversation_id is None else "long@bench.example"
            got = await app.db.run_write(services.conversations.receive, IncomingMessage(
                body=f"Any news? ({n})", email=email, conversation_id=conversation_id))
            batch = [events.Event(events.MESSAGE_CREATED, got.conversation_id),
                     events.Event(events.CONVERSATION_UPDATED, got.conversation_id)]
            started = time.perf_counter()
            await workspace._apply_events(batch)
            results[name].append((time.perf_counter() - started) * 1000)
    await workspace.leave()
    del wire
    return results


async def measure_many(app: HelpdeskApp, agents: int, runs: int) -> dict[str, list[float]]:
    """N agents' workspaces on the All view, as N signed-in browsers would have them: a customer
    message in a conversation they all list (as bench/sessions.py posts) refreshes every one
    (its rows, then the counts, as when they are due), all on one event loop as in the server.
    The time until the last has encoded its update."""
    services = app.services
    opened = []
    for n in range(agents):
        agent = services.agents.create(f"agent{n}@bench.example", f"Agent {n}", "bench-password", role="agent",
                                       actor=Actor.system())
        opened.append(await offline_workspace(app, agent, f"bench-{n}"))
    # The conversation at the top of everyone's list (the longest waiting): a new message keeps
    # it there and changes its row. (A new conversation would list last, or past the first page.)
    listed_id = opened[0][0].c.rows[0].id  # type: ignore[attr-defined]
    profile = services.customers.get_profile(services.conversations.get(listed_id).conversation.customer_id)
    email = profile.first("email")  # the demo shop's customers write by email

    async def refresh(workspace: object, batch: list) -> None:
        await workspace._apply_events(batch)  # type: ignore[attr-defined]
        await workspace._show_counts()  # type: ignore[attr-defined]

    samples: list[float] = []
    cpu: list[float] = []  # the event loop's own CPU (the reads run on other threads)
    for n in range(runs):
        body = f"Any news about it? ({n})"
        got = await app.db.run_write(services.conversations.receive, IncomingMessage(
            body=body, conversation_id=listed_id, email=email))
        batch = [events.Event(events.MESSAGE_CREATED, got.conversation_id),
                 events.Event(events.CONVERSATION_UPDATED, got.conversation_id)]
        started, started_cpu = time.perf_counter(), time.thread_time()
        await asyncio.gather(*(refresh(workspace, batch) for workspace, _wire in opened))
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        for workspace, _wire in opened:  # each shows it (else this would time nothing)
            assert workspace.inbox.rows[listed_id].preview.value == body  # type: ignore[attr-defined]
    for workspace, _wire in opened:
        await workspace.leave()
    return {f"{agents} agents' inboxes, rows and counts": samples,
            "  of which the event loop's CPU": cpu}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--agents", type=int, default=0, help="also N agents' inboxes at once (bench/sessions.py "
                        "without the browsers)")
    args = parser.parse_args()
    app = HelpdeskApp(Settings(data_dir=Path(tempfile.mkdtemp(prefix="helpdesk-live-")))).start()
    try:
        fill_demo(app.db, app.settings, SystemClock())
        results = asyncio.run(measure(app, args.runs))
        if args.agents:
            results.update(asyncio.run(measure_many(app, args.agents, max(10, args.runs // 5))))
    finally:
        app.close()
    print(f"# live refresh of one agent's workspace, demo shop, {args.runs} runs; "
          f"{platform.node()}, Python {platform.python_version()}")
    print(f"{'refresh':<52}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for name, samples in results.items():
        samples.sort()
        print(f"{name:<52}{statistics.median(samples):>10.1f}{samples[int(len(samples) * 0.95) - 1]:>10.1f}"
              f"{samples[-1]:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
