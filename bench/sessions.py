"""Many agents at once: the server's memory with N signed-in web sessions (each its own Chromium
page showing the live inbox), and how long a new customer message takes to show on all of them.

    python bench/sessions.py [--sessions 50] [--messages 10] [--polling | --drawn]

The server's part of it is taken from the server's own trace (HELPDESK_FANOUT_TRACE): from the
message's event, published just after its commit, until the last session's first websocket
frame after it has been handed to its socket; the rest is the pages' (each agent's machine).

Starts `serve` (a real server process) on the demo shop with N agents added, signs each agent
in from its own browser context, reads the server's resident memory (VmRSS, VmHWM), then posts
customer messages to the intake API one at a time and times, from the POST, until the message's
text shows in the first and in every session's inbox (noted in each page by a MutationObserver;
--polling checks every page every 50 ms instead, as this benchmark did before; --drawn takes
pages without the accessibility tree, as agents without a screen reader have them, and times
the frame drawn after the message reaches each page's socket). It also reports
the CPU time a message costs the pages and the server, beyond what they use at rest: on a machine
without a GPU every page draws in software, and the pages share the cores with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpdesk.app import HelpdeskApp  # noqa: E402
from helpdesk.config import Settings  # noqa: E402
from helpdesk.services.base import Actor  # noqa: E402
from helpdesk.services.demo import fill_demo  # noqa: E402
from helpdesk.services.inbox import InboxQuery  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.helpers import free_port, wait_until_healthy  # noqa: E402

SHOWS = """(text) => Array.from(document.querySelectorAll('flt-semantics'))
    .some(e => ((e.getAttribute('aria-label') || '') + ' ' + (e.textContent || '')).includes(text))"""
# Each page notes, from a MutationObserver, the wall-clock time the text first shows: checking
# 50 pages by polling (every 50 ms, a scan of each semantics tree) loaded the two cores the
# server and the browsers share, and was the measure's own cost (--polling measures that way).
WATCH = """(text) => {
    const shows = () => (%s)(text);
    window.__shownAt = undefined;
    if (shows()) { window.__shownAt = Date.now(); return; }
    const observer = new MutationObserver(() => {
        if (shows()) { window.__shownAt = Date.now(); observer.disconnect(); }
    });
    observer.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
}""" % SHOWS
# --drawn: pages as agents have them, without the accessibility tree. Each page's socket is
# watched instead: when a message carrying the text arrives, the time is taken at the second
# animation frame after it, when Flutter has drawn the frame that shows it.
SOCKET_WATCH = """(() => {
    const Native = window.WebSocket;
    window.__frames = 0;
    window.WebSocket = function (...args) {
        const socket = new Native(...args);
        socket.addEventListener('message', (e) => {
            window.__frames += 1;
            const want = window.__want;
            if (!want || window.__shownAt !== undefined) return;
            const check = (bytes) => {
                if (new TextDecoder().decode(bytes).includes(want) && window.__want === want) {
                    window.__want = undefined;
                    setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(() => {
                        window.__shownAt = Date.now(); })), 0);
                }
            };
            if (typeof e.data === 'string') check(new TextEncoder().encode(e.data));
            else if (e.data instanceof ArrayBuffer) check(e.data);
            else e.data.arrayBuffer().then(check);
        });
        return socket;
    };
    window.WebSocket.prototype = Native.prototype;
    for (const name of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) window.WebSocket[name] = Native[name];
})()"""
DRAWN_WATCH = "(text) => { window.__shownAt = undefined; window.__want = text; }"
PASSWORD = "session-password"


def memory(pid: int) -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


TICKS = os.sysconf("SC_CLK_TCK")


def proc_stat(pid: int) -> tuple[str, list[str]] | None:
    """A process's name and the fields of /proc/<pid>/stat after it; None once it has ended."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()


def cpu_seconds(pids: set[int]) -> float:
    """User and system CPU time the processes have used so far."""
    stats = [s for s in map(proc_stat, pids) if s is not None]
    return sum(int(fields[11]) + int(fields[12]) for _name, fields in stats) / TICKS


def browser_pids() -> set[int]:
    """This benchmark's Chromium processes (the browser, its renderers, GPU and utility processes)."""
    stats = {pid: s for pid in (int(e.name) for e in Path("/proc").iterdir() if e.name.isdigit())
             if (s := proc_stat(pid)) is not None}
    ours, grown = {os.getpid()}, True
    while grown:
        more = {pid for pid, (_name, fields) in stats.items() if int(fields[1]) in ours} - ours
        ours |= more
        grown = bool(more)
    return {pid for pid in ours if "chrom" in stats[pid][0].lower()}


def prepare(data: Path, sessions: int) -> tuple[int, str, str]:
    """The demo shop, N agents, an intake token; the conversation at the top of the open inbox."""
    app = HelpdeskApp(Settings(data_dir=data)).start()
    try:
        fill_demo(app.db, app.settings, app.clock)
        agents = [app.services.agents.create(f"agent{n}@bench.example", f"Agent {n}", PASSWORD, "agent",
                                             actor=Actor.system()) for n in range(sessions)]
        token = app.services.tokens.create("bench", actor=Actor.system()).plaintext
        top = app.services.inbox.page(InboxQuery(view="all", status="open"), agents[0].id, None, 1).rows[0]
        detail = app.services.conversations.get(top.id)
        email = app.services.customers.get_profile(detail.conversation.customer_id).first("email")
        return top.id, email, token
    finally:
        app.close()


async def sign_in(browser, url: str, n: int, drawn: bool = False):
    context = await browser.new_context(viewport={"width": 1100, "height": 700})
    if drawn:
        await context.add_init_script(SOCKET_WATCH)
    page = await context.new_page()
    await page.goto(url)
    await page.wait_for_function("document.querySelector('flt-semantics-placeholder') !== null", timeout=60_000)
    await page.evaluate("document.querySelector('flt-semantics-placeholder').click()")
    for label, text in (("Email", f"agent{n}@bench.example"), ("Password", PASSWORD)):
        field = page.get_by_role("textbox", name=label)
        await field.click()
        await asyncio.sleep(0.3)
        await field.press_sequentially(text)
    await page.keyboard.press("Enter")
    await page.wait_for_function(SHOWS, arg="Unassigned", timeout=60_000)
    all_view = page.locator("flt-semantics[role=button]").filter(has_text="All").first
    await all_view.click(force=True)
    await page.wait_for_function(SHOWS, arg="All ·", timeout=30_000)
    if drawn:  # the same session again (Flet keeps it), now without the accessibility tree
        await page.reload()
        await page.wait_for_function("() => window.__frames > 0", timeout=60_000)
    return page


async def shown(pages: list, text: str, started_ms: float, polling: bool) -> tuple[float, float]:
    """Milliseconds from started_ms until the first and the last of the pages showed the text."""
    if polling:
        async def one(page: object) -> float:
            await page.wait_for_function(SHOWS, arg=text, polling=50, timeout=30_000)  # type: ignore[attr-defined]
            return time.time() * 1000
        at = await asyncio.gather(*(one(page) for page in pages))
    else:
        await asyncio.gather(*(page.wait_for_function("() => window.__shownAt !== undefined", polling=250,
                                                      timeout=30_000) for page in pages))
        at = await asyncio.gather(*(page.evaluate("window.__shownAt") for page in pages))
    return min(at) - started_ms, max(at) - started_ms


def niced_chromium(folder: Path) -> str:
    """Chromium at the lowest CPU priority: the pages stand for agents' own computers, so the
    server is not made to wait for the cores while fifty pages draw (they still use what is left)."""
    wrapper = folder / "chromium-niced"
    # Playwright starts the browser in a session of its own, and Linux (autogroup) shares the CPU
    # fairly between sessions whatever a process's nice: the session's own nice is set as well.
    wrapper.write_text(f'#!/bin/sh\necho 19 2>/dev/null > /proc/self/autogroup\nexec nice -n 19 "{CHROMIUM}" "$@"\n')
    wrapper.chmod(0o700)
    return str(wrapper)


async def measure(url: str, pid: int, sessions: int, messages: int, conversation: int, email: str,
                  token: str, polling: bool = False, drawn: bool = False, chromium: str = CHROMIUM) -> dict:
    from playwright.async_api import async_playwright

    idle = memory(pid)[0]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        pages = []
        for n in range(sessions):  # one after another, as agents arrive in the morning
            pages.append(await sign_in(browser, url, n, drawn))
        await asyncio.sleep(3)
        with_sessions, peak = memory(pid)
        browsers = browser_pids()
        # What the pages and the server use at rest, to tell a message's own CPU from it.
        idle_started, idle_cpu = time.monotonic(), (cpu_seconds(browsers), cpu_seconds({pid}))
        await asyncio.sleep(5)
        idle_seconds = time.monotonic() - idle_started
        idle_rate = [(cpu_seconds(browsers) - idle_cpu[0]) / idle_seconds,
                     (cpu_seconds({pid}) - idle_cpu[1]) / idle_seconds]
        fanout, first, message_ids = [], [], []
        busy_started, busy_cpu = time.monotonic(), (cpu_seconds(browsers), cpu_seconds({pid}))
        print(f"# {sessions} signed in; posting {messages} messages", file=sys.stderr, flush=True)
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
            for i in range(messages):
                text = f"Still waiting for the parcel, reminder {i} ky{i}"
                if not polling:
                    await asyncio.gather(*(page.evaluate(DRAWN_WATCH if drawn else WATCH, f"ky{i}") for page in pages))
                started_ms = time.time() * 1000  # the pages' Date.now() is the same wall clock
                answer = await client.post("/api/v1/messages", json={"customer": {"email": email}, "body": text,
                                                                      "conversation_id": conversation})
                assert answer.status_code in (200, 201), answer.text
                message_ids.append(answer.json()["message_id"])
                to_first, to_all = await shown(pages, f"ky{i}", started_ms, polling)
                first.append(to_first)
                fanout.append(to_all)
                await asyncio.sleep(0.5)
        busy_seconds = time.monotonic() - busy_started
        cpu = [(cpu_seconds(browsers) - busy_cpu[0] - idle_rate[0] * busy_seconds) / messages,
               (cpu_seconds({pid}) - busy_cpu[1] - idle_rate[1] * busy_seconds) / messages]
        await browser.close()
    return {"idle": idle, "with": with_sessions, "peak": peak, "fanout": fanout, "first": first, "cpu": cpu,
            "idle_rate": idle_rate, "message_ids": message_ids}


def server_parts(trace: Path, message_ids: list[int], sessions: int) -> list[float]:
    """For each message: ms from its event's publication (just after the commit) until the last
    session's first websocket frame after it had been handed to its socket (the server's part)."""
    published: dict[str, float] = {}
    frames: list[tuple[float, str]] = []
    for line in trace.read_text().splitlines():
        at, kind, detail = line.split(" ", 2)
        if kind == "published":
            published.setdefault(detail, float(at))
        elif kind == "frame":
            frames.append((float(at), detail))
    parts = []
    for message_id in message_ids:
        start = published[str(message_id)]
        first_after: dict[str, float] = {}
        for at, session in frames:
            if at >= start and session not in first_after:
                first_after[session] = at
        if len(first_after) < sessions:
            raise SystemExit(f"only {len(first_after)} of {sessions} sessions were sent a frame after message {message_id}")
        parts.append((max(first_after.values()) - start) * 1000)
    return parts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--polling", action="store_true",
                        help="check every page for the message every 50 ms (the measure before 2026-12-02 17:30)")
    parser.add_argument("--drawn", action="store_true",
                        help="pages without the accessibility tree (as agents have them): timed when the frame "
                             "after the message's arrival is drawn")
    parser.add_argument("--same-priority", action="store_true",
                        help="run the pages at the server's CPU priority (by default they run niced, as if on "
                             "the agents' own computers)")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="helpdesk-sessions-"))
    conversation, email, token = prepare(data, args.sessions)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    trace = data / "fanout-trace.txt"
    env.update(HELPDESK_FANOUT_TRACE=str(trace), HELPDESK_MDNS="0")
    server = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve", "--host", "127.0.0.1", "--port",
                               str(port), "--data-dir", str(data)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, server, timeout=60)
        r = asyncio.run(measure(url, server.pid, args.sessions, args.messages, conversation, email, token,
                                args.polling, args.drawn,
                                CHROMIUM if args.same_priority else niced_chromium(data)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"# sessions benchmark, {time.strftime('%Y-%m-%d')}, {platform.node()}, {os.cpu_count()} cores, "
          f"the demo shop; {args.sessions} agents signed in, each in its own Chromium context; "
          f"{'polled every 50 ms' if args.polling else 'drawn (pages without the accessibility tree)' if args.drawn else 'seen by a MutationObserver in each page'}; "
          f"{'the pages at the same CPU priority as the server' if args.same_priority else 'the pages niced (nice 19)'}")
    print(f"{'measure':<58}{'value':>16}{'aim':>12}")
    print(f"{'server memory, idle':<58}{r['idle']:>13.0f} MB")
    print(f"{'server memory with ' + str(args.sessions) + ' signed-in sessions (peak)':<58}"
          f"{r['with']:>8.0f} ({r['peak']:.0f}) MB{'< 400 MB':>12}")
    fan, first = r["fanout"], r["first"]
    parts = server_parts(trace, r["message_ids"], args.sessions)
    print(f"{'the server part: commit to the last session frame sent, p50 / max':<58}"
          f"{statistics.median(parts):>7.0f} / {max(parts):.0f} ms{'< 250 ms':>12}")
    print(f"{'... each message, in the order sent':<58}{' '.join(f'{p:.0f}' for p in parts):>16}")
    print(f"{'a customer message shown in all ' + str(args.sessions) + ' inboxes, p50 / max':<58}"
          f"{statistics.median(fan):>7.0f} / {max(fan):.0f} ms{'< 1 s':>12}")
    print(f"{'... shown in the first of them, p50 / max':<58}{statistics.median(first):>7.0f} / {max(first):.0f} ms")
    browsers_cpu, server_cpu = r["cpu"]
    print(f"{'CPU a message costs (beyond rest): all ' + str(args.sessions) + ' pages':<58}"
          f"{browsers_cpu * 1000:>13.0f} ms  ({browsers_cpu * 1000 / args.sessions:.0f} ms a page)")
    print(f"{'... the server':<58}{server_cpu * 1000:>13.0f} ms  ({server_cpu * 1000 / args.sessions:.1f} ms a session)")
    print(f"{'CPU at rest: the pages, the server (share of one core)':<58}"
          f"{r['idle_rate'][0] * 100:>9.0f} %, {r['idle_rate'][1] * 100:.0f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
