"""What an agent feels: the web workspace driven in a real Chromium, timed from outside, on the
demo shop and on a million messages, while customers keep writing.

    python bench/workspace.py                       # demo shop, then a million messages
    python bench/workspace.py --dataset demo        # what a newcomer sees (a minute or two)
    python bench/workspace.py --tries 20 --conversations 20000   # a quick run

Starts Helpdesk on the dataset on loopback, posts customer messages to the intake API in the
background (20 a second: new conversations and follow-ups, as a busy shop's day), signs in with
Playwright and measures each action from the browser's side (a real mouse click or key press,
then polling Flutter's accessibility tree every animation frame until the result shows):

- sign-in: Enter on the password until the inbox shows (a fresh browser each time);
- switch inbox view: a click in the rail until the view's title shows;
- open a conversation with 200 messages: a click on its inbox row until its header shows;
- reply: Ctrl+Enter in the reply box until the reply shows in the thread;
- a customer message: from the POST to the intake API until it shows in the open inbox;
- search: Enter in the search box until the results show.

A try that shows nothing within 10 s counts as lost. The harness costs some tens of
milliseconds a try (the click, the polling).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpdesk.app import HelpdeskApp, ServerThread  # noqa: E402
from helpdesk.clock import SystemClock  # noqa: E402
from helpdesk.config import Settings  # noqa: E402
from helpdesk.services.base import Actor  # noqa: E402
from helpdesk.services.conversations import IncomingMessage  # noqa: E402
from helpdesk.services.demo import fill_demo  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, open_app, type_into  # noqa: E402

LOST_AFTER_MS = 10_000
AGENT = ("bea@bench.example", "Bea Bench", "bench-password")
LONG_THREADS = 6  # conversations of 200 messages, Bea's own (the Mine view)
SEARCH_WORDS = ("refund", "helmet", "warranty", "battery", "invoice", "brake")
# True once some node of the accessibility tree shows the text.
SHOWS = """(text) => Array.from(document.querySelectorAll('flt-semantics, header, input, textarea'))
    .some(e => ((e.getAttribute('aria-label') || '') + ' ' + (e.textContent || '')).includes(text))"""


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Timings:
    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = {}
        self.lost: dict[str, int] = {}

    def add(self, name: str, ms: float | None) -> None:
        self.samples.setdefault(name, [])
        self.lost.setdefault(name, 0)
        if ms is None:
            self.lost[name] += 1
        else:
            self.samples[name].append(ms)

    def row(self, name: str) -> tuple[str, str, str, str]:
        values = self.samples.get(name, [])
        lost = self.lost.get(name, 0)
        if not values:
            return str(lost), "-", "-", str(lost)
        return (str(len(values) + lost), f"{statistics.median(values):.0f}", f"{percentile(values, 0.95):.0f}",
                str(lost))


MEASURES = ("sign-in to inbox shown", "switch inbox view", "open a conversation (200 messages)",
            "reply shown in the thread after Send", "customer message shown in the open inbox",
            "  of which the intake API's answer", "search results shown")


def wait_shown(page, text: str, started: float | None = None) -> float | None:
    """Milliseconds from `started` (default: now) until `text` shows; None when it does not."""
    started = time.perf_counter() if started is None else started
    try:
        page.wait_for_function(SHOWS, arg=text, polling="raf", timeout=LOST_AFTER_MS)
    except Exception:
        return None
    return (time.perf_counter() - started) * 1000


def click_node(page, text: str) -> bool:
    """A real mouse click in the middle of the accessibility node that starts with `text`; False
    when it is not on screen."""
    node = page.locator("flt-semantics[role=button]").filter(has_text=text).first
    box = node.bounding_box(timeout=LOST_AFTER_MS)
    if box is None or box["y"] + min(box["height"] / 2, 20) >= page.viewport_size["height"]:
        return False
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + min(box["height"] / 2, 20))
    return True


class BackgroundIntake:
    """Customers writing all the while: `per_second` messages to the intake API."""

    def __init__(self, url: str, token: str, per_second: float, customers: int) -> None:
        self.url, self.token, self.customers = url, token, customers
        self.pause = 1 / per_second if per_second > 0 else None  # 0: a quiet shop, no background load
        self.sent = 0
        self.failed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        rng = random.Random(11)
        with httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}) as client:
            next_at = time.monotonic()
            while not self._stop.is_set():
                n = rng.randint(1, self.customers)
                try:
                    ok = client.post("/api/v1/messages", json={
                        "customer": {"email": f"customer{n}@example.com"},
                        "body": f"Any news on my order {rng.randint(1000, 9999)}?"}, timeout=10).status_code < 300
                except httpx.HTTPError:
                    ok = False
                self.sent += ok
                self.failed += not ok
                next_at += self.pause
                self._stop.wait(max(0.0, next_at - time.monotonic()))

    def __enter__(self) -> "BackgroundIntake":
        if self.pause is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=15)


def prepare(app: HelpdeskApp, messages: int = 200) -> tuple[list[tuple[int, str, str]], str]:
    """Bea's long threads (her Mine view holds only them) and a token for intake."""
    services = app.services
    bea = services.agents.create(*AGENT, role="admin", actor=Actor.system())
    actor = Actor.for_agent(bea)
    threads = []
    for n in range(LONG_THREADS):
        email = f"long{n}@bench.example"
        name = f"Longthread Customer{n}"
        first = services.conversations.receive(IncomingMessage(body="My e-bike battery drains overnight",
                                                               email=email, name=name, subject=f"Battery {n}"))
        cid = first.conversation_id
        for k in range(messages // 2 - 1):
            services.conversations.reply(cid, actor, f"Reply {k}: please try charging it to 80 % first.",
                                         then="open")
            services.conversations.receive(IncomingMessage(body=f"Update {k}: still the same, sorry.", email=email,
                                                           conversation_id=cid))
        services.conversations.assign(cid, bea.id, actor)
        threads.append((cid, name, email))
    token = services.tokens.create("bench intake", actor=Actor.system()).plaintext
    return threads, token


def measure(url: str, threads: list[tuple[int, str, str]], token: str, tries: int, sign_ins: int,
            timings: Timings) -> None:
    from playwright.sync_api import sync_playwright

    email, _, password = AGENT
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = None
        for attempt in range(sign_ins):  # a fresh browser each time: the web app's files load anew too
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            try:
                page = open_app(context, url)
                type_into(page, "Email", email)
                type_into(page, "Password", password)
            except Exception:  # the page did not load in 30 s: a lost sign-in, not the end of the run
                timings.add(MEASURES[0], None)
                context.close()
                continue
            started = time.perf_counter()
            page.keyboard.press("Enter")
            timings.add(MEASURES[0], wait_shown(page, "Unassigned", started))
            if attempt < sign_ins - 1:
                context.close()
        time.sleep(1.0)
        views = [("Mine", "Mine ·"), ("All", "All ·"), ("Unassigned", "Unassigned ·")]
        for i in range(tries):
            label, title = views[i % len(views)]
            if not click_node(page, label):
                timings.add(MEASURES[1], None)
                continue
            timings.add(MEASURES[1], wait_shown(page, title))
            time.sleep(0.15)
        click_node(page, "Mine")
        wait_shown(page, "Mine ·")
        time.sleep(0.5)
        for i in range(tries):  # between the long threads, never the same one twice in a row
            cid, name, _ = threads[i % len(threads)]
            if not click_node(page, name):
                timings.add(MEASURES[2], None)
                continue
            timings.add(MEASURES[2], wait_shown(page, f"#{cid} ·"))
            time.sleep(0.15)
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
            for i in range(tries):  # a customer writes into one of Bea's threads
                cid, _, customer = threads[i % len(threads)]
                text = f"Quick question number {i} qx{i}"
                started = time.perf_counter()
                answer = client.post("/api/v1/messages", json={"customer": {"email": customer}, "body": text,
                                                               "conversation_id": cid})
                timings.add(MEASURES[5], (time.perf_counter() - started) * 1000 if answer.is_success else None)
                timings.add(MEASURES[4], wait_shown(page, f"qx{i}", started))
                time.sleep(0.15)
        for i in range(tries):  # the open thread: type, Ctrl+Enter, until the reply is in the thread
            text = f"Answer number {i} zq{i}"
            type_into(page, "Reply", text)
            started = time.perf_counter()
            page.keyboard.press("Control+Enter")  # send (and set pending)
            timings.add(MEASURES[3], wait_shown(page, f"zq{i}", started))  # the bubble, not the box: its
            # text is the textarea's value, which SHOWS does not read
            time.sleep(0.15)
        for i in range(tries):
            word = SEARCH_WORDS[i % len(SEARCH_WORDS)] + ("s" if i % 2 else "")
            type_into(page, "Search", word)  # a click into the field (Ctrl+K is the command palette now)
            started = time.perf_counter()
            page.keyboard.press("Enter")
            timings.add(MEASURES[6], wait_shown(page, f"for “{word}”", started))
            page.keyboard.press("Escape")
            time.sleep(0.2)
        browser.close()


def run(dataset: str, args: argparse.Namespace) -> tuple[Timings, dict]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"helpdesk-workspace-{dataset}-"))
    app = HelpdeskApp(Settings(data_dir=data_dir, host="127.0.0.1", port=0)).start()
    info: dict = {}
    try:
        if dataset == "demo":
            fill_demo(app.db, app.settings, SystemClock())
            customers = 60
        else:
            from dataset import load

            info = load(app.db, args.conversations // 2, args.conversations, 5)
            customers = args.conversations // 2
        threads, token = prepare(app)
        timings = Timings()
        with ServerThread(app) as server:
            with BackgroundIntake(server.url, token, args.intake_per_second, customers) as intake:
                measure(server.url, threads, token, args.tries, args.sign_ins, timings)
            info["intake"] = (intake.sent, intake.failed)
    finally:
        app.close()
    return timings, info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=["demo", "million", "both"], default="both")
    parser.add_argument("--tries", type=int, default=50, help="tries of each action")
    parser.add_argument("--sign-ins", type=int, default=10, help="each loads the web app anew (about 10 MB)")
    parser.add_argument("--conversations", type=int, default=200_000, help="the large dataset (5 messages each)")
    parser.add_argument("--intake-per-second", type=float, default=20)
    args = parser.parse_args()
    results = []
    for dataset in ["demo", "million"] if args.dataset == "both" else [args.dataset]:
        results.append((dataset, *run(dataset, args)))
        print(f"# {dataset} done: " + "; ".join(f"{m} {results[-1][1].row(m)}" for m in MEASURES), flush=True)
    print(f"# workspace benchmark, {time.strftime('%Y-%m-%d')}, {platform.node()}, {os.cpu_count()} cores, "
          f"Chromium; from the click or key to the result on screen; customers writing "
          f"{args.intake_per_second:g} a second throughout")
    for dataset, _, info in results:
        size = "demo shop" if dataset == "demo" else f"{info['messages']:,} messages"
        print(f"# {dataset}: {size}; background intake {info['intake'][0]} sent, {info['intake'][1]} failed")
    print(f"{'measure':<44}" + "".join(f"{d + ' p50 / p95 (lost of n)':>34}" for d, _, _ in results))
    for name in MEASURES:
        cells = []
        for _, timings, _ in results:
            n, p50, p95, lost = timings.row(name)
            cells.append(f"{p50} / {p95} ms ({lost} of {n})")
        print(f"{name:<44}" + "".join(f"{c:>34}" for c in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
