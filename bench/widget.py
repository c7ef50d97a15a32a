"""The website chat under load: many open chats held by one Helpdesk.

    python bench/widget.py                 # 500 open chats
    python bench/widget.py --chats 200

A real server process (`serve`, SQLite) with a website chat added by the command line.
N visitors each write once and keep the live stream (server-sent events) open; then:
1. the server's memory (RSS) before and with the N streams open: per connection;
2. a reply to one visitor: the time until their open chat shows it, while N-1 others
   stay open (their streams must not all wake), sampled several times;
3. a reply to every one of them, posted back to back: the time until every open chat
   shows its own.
Prints a table; results go to docs/performance.md."""

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
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import free_port, wait_until_healthy  # noqa: E402

ORIGIN = "https://myshop.example"


def cli(data: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), *args, "--data-dir", str(data)], env=env,
                          capture_output=True, text=True, check=True, cwd=ROOT)
    return done.stdout


class Stream:
    """One open chat: reads the event stream and notes when each message id arrives."""

    def __init__(self) -> None:
        self.seen: dict[int, float] = {}
        self.ready = asyncio.Event()

    async def run(self, client: httpx.AsyncClient, url: str) -> None:
        async with client.stream("GET", url, headers={"Origin": ORIGIN}) as answer:
            self.ready.set()
            async for line in answer.aiter_lines():
                if line.startswith("id: "):
                    self.seen[int(line[4:])] = time.perf_counter()


async def main_async(chats: int, samples: int) -> list[tuple[str, str]]:
    data, port = Path(tempfile.mkdtemp()) / "data", free_port()
    token = cli(data, "token", "create", "bench", "--scope", "read,reply").strip().splitlines()[-1]
    snippet = cli(data, "channel", "add", "website", "--name", "Site", "--origin", ORIGIN).strip().splitlines()[-1]
    key = snippet.split('data-helpdesk="')[1].split('"')[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    # Every bench visitor comes from 127.0.0.1: the per-address chat limit would stop them.
    env.update(HELPDESK_DATA_DIR=str(data), HELPDESK_HOST="127.0.0.1", HELPDESK_PORT=str(port),
               HELPDESK_CHAT_PER_ADDRESS_PER_MINUTE="0")
    server = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    rows: list[tuple[str, str]] = []
    try:
        wait_until_healthy(base, server)
        process = psutil.Process(server.pid)
        auth = {"Authorization": f"Bearer {token}"}
        limits = httpx.Limits(max_connections=chats * 2 + 20, max_keepalive_connections=chats * 2 + 20)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
            visitors = [f"bench-visitor-{i:06d}-xxxxxxxx" for i in range(chats)]
            conversations = {}
            for v in visitors:  # one message each (a visitor writes, then keeps the chat open)
                made = await client.post(f"/widget/{key}/messages", headers={"Origin": ORIGIN},
                                         json={"visitor": v, "body": f"Hello from {v}"})
                made.raise_for_status()
                conversations[v] = made.json()["conversation_id"]
            print(f"{chats} visitors wrote", file=sys.stderr)
            await asyncio.sleep(1)
            idle = process.memory_info().rss
            streams = [Stream() for _ in visitors]
            tasks = [asyncio.create_task(s.run(client, f"/widget/{key}/events?visitor={v}&after=0"))
                     for s, v in zip(streams, visitors)]
            await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in streams)), 120)
            print(f"{chats} streams open", file=sys.stderr)
            await asyncio.sleep(2)
            held = process.memory_info().rss
            rows.append(("open chats held", f"{chats}"))
            rows.append(("server RSS idle / with them open", f"{idle / 2**20:.0f} / {held / 2**20:.0f} MB"))
            rows.append(("memory per open chat", f"{(held - idle) / chats / 1024:.0f} KB"))

            one = []
            for i in range(samples):
                v = visitors[(i * 37) % chats]
                started = time.perf_counter()
                reply = await client.post(f"/api/v1/conversations/{conversations[v]}/replies", headers=auth,
                                          json={"body": f"Answer {i}", "then": "open"})
                message_id = reply.json()["message_id"]
                stream = streams[visitors.index(v)]
                while message_id not in stream.seen:
                    await asyncio.sleep(0.002)
                one.append((stream.seen[message_id] - started) * 1000)
            rows.append((f"a reply reaches its chat, {chats - 1} others open (p50 / max of {samples})",
                         f"{statistics.median(one):.0f} / {max(one):.0f} ms"))
            # Every chat answered at once (a bot working through the queue): until all have theirs.
            started = time.perf_counter()
            ids = {}
            for v in visitors:
                reply = await client.post(f"/api/v1/conversations/{conversations[v]}/replies", headers=auth,
                                          json={"body": "We are on it", "then": "open"})
                ids[v] = reply.json()["message_id"]
            posted = time.perf_counter()
            while not all(ids[v] in s.seen for v, s in zip(visitors, streams)):
                await asyncio.sleep(0.005)
            done = max(s.seen[ids[v]] for v, s in zip(visitors, streams))
            rows.append((f"{chats} replies, one to each open chat: posted in / all shown after",
                         f"{(posted - started):.1f} s / {(done - started):.1f} s"))
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=500)
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    rows = asyncio.run(main_async(args.chats, args.samples))
    print(f"\nWebsite chat, {platform.node()} ({os.cpu_count()} CPUs), {time.strftime('%Y-%m-%d')}\n")
    print("| measure | result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
