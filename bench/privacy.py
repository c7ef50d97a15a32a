"""A customer's data on request, at size: one customer with 10,000 messages (half theirs, half the
shop's replies) over 100 conversations and 50 files, among 1,000 other customers, in a real SQLite
file. Times the export (the service writing the zip, and the API streaming it over loopback), its
size and the server's memory while it runs, then the erasure.

    python bench/privacy.py                      # 10,000 messages
    python bench/privacy.py --messages 2000      # quicker

Results go to docs/performance.md."""

from __future__ import annotations

import argparse
import io
import os
import platform
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpdesk.app import HelpdeskApp, ServerThread  # noqa: E402
from helpdesk.config import Settings  # noqa: E402
from helpdesk.services.base import Actor  # noqa: E402
from helpdesk.services.conversations import IncomingMessage  # noqa: E402


class PeakMemory:
    """This process's resident memory, sampled every 20 ms while the block runs."""

    def __enter__(self) -> "PeakMemory":
        self.process, self.start, self.peak, self._stop = psutil.Process(), 0, 0, threading.Event()
        self.start = self.peak = self.process.memory_info().rss
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def grew_mb(self) -> float:
        return (self.peak - self.start) / 1e6


def fill(app: HelpdeskApp, messages: int, conversations: int, files: int, others: int) -> int:
    services = app.services
    agent = services.agents.create("ann@shop.example", "Ann", "bench-password", role="admin", actor=Actor.system())
    ann = Actor.for_agent(agent)
    for i in range(others):
        services.conversations.receive(IncomingMessage(body=f"Another customer's question {i}",
                                                       email=f"other{i}@example.com"))
    per = max(2, messages // conversations)
    customer_id = 0
    for c in range(conversations):
        first = services.conversations.receive(IncomingMessage(
            body=f"Question {c}: the gears slip on my bike when it rains", email="gerda@example.com", name="Gerda",
            subject=f"Repair {c}"), files=[services.files.stage_bytes(os.urandom(100_000), f"photo{c}.jpg")]
            if c < files else [])
        customer_id = first.customer_id
        for m in range(1, per):
            if m % 2:
                services.conversations.reply(first.conversation_id, ann, f"Answer {c}.{m}: please bring it in")
            else:
                services.conversations.receive(IncomingMessage(body=f"Follow-up {c}.{m}", email="gerda@example.com",
                                                               conversation_id=first.conversation_id))
        services.conversations.set_status(first.conversation_id, "resolved", ann)
    return customer_id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--others", type=int, default=1000)
    parser.add_argument("--intake", type=int, default=2000, help="messages timed with and without a blocklist")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="bench-privacy-"))
    app = HelpdeskApp(Settings(data_dir=data, host="127.0.0.1", port=0)).start()
    started = time.monotonic()
    customer_id = fill(app, args.messages, args.conversations, args.files, args.others)
    print(f"filled in {time.monotonic() - started:.0f} s: customer {customer_id}, {args.messages} messages, "
          f"{args.files} files, {args.others} other customers")
    services, admin = app.services, Actor.system()
    token = services.tokens.create("bench", actor=admin, scopes=["read", "admin"]).plaintext
    rows = []
    with PeakMemory() as memory:
        out = io.BytesIO()
        t0 = time.perf_counter()
        count = services.privacy.export(customer_id, out, admin)
        took = time.perf_counter() - t0
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as zf:
        names = zf.namelist()
    rows.append(("export (service, to memory)", f"{took:.2f} s", f"{count} messages, {len(names)} entries, "
                 f"{len(out.getvalue()) / 1e6:.1f} MB zip", f"+{memory.grew_mb:.0f} MB"))
    with ServerThread(app) as server, PeakMemory() as memory:
        t0 = time.perf_counter()
        first_byte = None
        size = 0
        with httpx.stream("GET", f"{server.url}/api/v1/customers/{customer_id}/export",
                          headers={"Authorization": f"Bearer {token}"}, timeout=120) as response:
            assert response.status_code == 200, response.read()
            for chunk in response.iter_bytes():
                first_byte = first_byte or time.perf_counter() - t0
                size += len(chunk)
        took = time.perf_counter() - t0
    rows.append(("export (API, streamed over loopback)", f"{took:.2f} s", f"first byte {first_byte:.2f} s, "
                 f"{size / 1e6:.1f} MB", f"+{memory.grew_mb:.0f} MB"))
    with PeakMemory() as memory:
        t0 = time.perf_counter()
        erased = services.privacy.erase(customer_id, admin)
        took = time.perf_counter() - t0
    rows.append(("erase", f"{took:.2f} s", f"{erased.conversations} conversations, {erased.messages} messages, "
                 f"{erased.files_deleted} files deleted", f"+{memory.grew_mb:.0f} MB"))
    for label, blocked in (("intake, blocklist empty", False), ("intake, 100 senders blocked", True)):
        if blocked:
            for i in range(100):
                services.blocklist.block("email", f"spammer{i}@junk.example", admin)
        t0 = time.perf_counter()
        for i in range(args.intake):
            services.conversations.receive(IncomingMessage(body="Is the shop open on Sunday?",
                                                           email=f"{label[:6]}{blocked}{i}@example.com"))
        took = time.perf_counter() - t0
        rows.append((label, f"{took / args.intake * 1000:.2f} ms", f"{args.intake} messages, one at a time "
                     "(in process: the check's own cost)", ""))
    app.close()
    print(f"\n{platform.node()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · "
          f"{time.strftime('%Y-%m-%d')}\n")
    print(f"| {'what':<38} | {'time':>8} | {'what it held':<60} | memory |")
    print(f"|{'-' * 40}|{'-' * 10}|{'-' * 62}|--------|")
    for what, when, held, mem in rows:
        print(f"| {what:<38} | {when:>8} | {held:<60} | {mem:>6} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
