"""The writer's own cost of a customer message, in process, without HTTP: what the intake API's
group commit does with 32 messages at a time (each with an idempotency key, from 500 customers
who already have a conversation), on a real SQLite file with synchronous=FULL.

    python bench/intake_writer.py [--messages 2048] [--rounds 3] [--profile cumulative]

Prints µs a message for each round (the minimum is the figure to compare: this VM's spread is
about ±5 %); --profile prints cProfile's top entries for one more round (which slows it ~1.8x).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpdesk.app import HelpdeskApp  # noqa: E402
from helpdesk.config import Settings  # noqa: E402
from helpdesk.services.base import Actor  # noqa: E402
from helpdesk.services.conversations import IncomingMessage  # noqa: E402
from helpdesk.services.intake_api import receive_from_api  # noqa: E402

GROUP = 32


class _NoLoop:
    """Stands in for the event loop the answers would go back to."""

    def call_soon_threadsafe(self, *args: object) -> None:
        pass


def message(n: int, customers: int) -> IncomingMessage:
    c = n % customers
    return IncomingMessage(body=f"Message {n}: my order has not arrived yet, could you check the tracking?",
                           email=f"customer{c}@example.com", name=f"Customer {c}", idempotency_key=f"k-{n}")


def run(app: HelpdeskApp, start: int, count: int, customers: int) -> float:
    """µs a message for `count` messages from number `start`, in group commits of 32."""
    services, db = app.services, app.services.db
    began = time.perf_counter()
    for first in range(start, start + count, GROUP):
        jobs = [(receive_from_api, (services, message(n, customers), Actor.system(), False), {}, _NoLoop(), None)
                for n in range(first, first + GROUP)]
        db._writer.submit(db._commit_batch, jobs).result()
    return (time.perf_counter() - began) / count * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2048, help="a round's messages")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--profile", choices=["cumulative", "tottime"])
    args = parser.parse_args()
    os.environ.setdefault("HELPDESK_MDNS", "0")
    app = HelpdeskApp(Settings(data_dir=Path(tempfile.mkdtemp(prefix="helpdesk-bench-")), port=0)).start()
    try:
        first = run(app, 0, max(args.customers, GROUP * 16), args.customers)  # every customer's conversation
        done = max(args.customers, GROUP * 16)
        rounds = []
        for _ in range(args.rounds):
            rounds.append(run(app, done, args.messages, args.customers))
            done += args.messages
        print(f"# the writer's cost of a customer message, {time.strftime('%Y-%m-%d')}, {platform.node()}, "
              f"{os.cpu_count()} cores, Python {platform.python_version()}, SQLite synchronous=FULL, groups of {GROUP}")
        print(f"{'':<34}{'µs / message':>14}")
        print(f"{'first messages (new conversations)':<34}{first:>14.0f}")
        for n, value in enumerate(rounds, 1):
            print(f"{f'follow-ups, round {n}':<34}{value:>14.0f}")
        print(f"{'follow-ups, best round':<34}{min(rounds):>14.0f}")
        if args.profile:
            profile = cProfile.Profile()
            app.services.db._writer.submit(profile.enable).result()
            run(app, done, args.messages, args.customers)
            app.services.db._writer.submit(profile.disable).result()
            pstats.Stats(profile).sort_stats(args.profile).print_stats(40)
    finally:
        app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
