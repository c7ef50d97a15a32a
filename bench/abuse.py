"""Anonymous senders trying to exhaust the shop PC: twenty chat messages at once, each with a
photo of 40 to 120 million pixels (PNG, 8 and 16 bits a sample), and their previews asked for
all at once, as the customer pages would; /api/v1/health polled throughout.

    python bench/abuse.py               # 20 images
    python bench/abuse.py --images 40

A real `serve` process (SQLite). Prints the server's memory (its own and its image decoder's,
sampled every 0.1 s), how health answered meanwhile, and what each preview got. Results go to
docs/performance.md; docs/security.md gives the budgets it exercises."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import free_port, wait_until_healthy  # noqa: E402
from tests.security import bombs  # noqa: E402

ORIGIN = "https://larsen.example"


def images(count: int, low: int, high: int) -> list[tuple[str, bytes, int]]:
    """(name, PNG, pixels): sizes spread over low..high pixels, every third 16 bits a sample."""
    made = []
    for i in range(count):
        pixels = low + i * (high - low) // max(1, count - 1)
        depth = 16 if i % 3 == 2 else 8
        side = int(pixels ** 0.5)
        made.append((f"photo{i}.png", bombs.png(side, side + i, depth=depth), side * (side + i)))
    return made


def rss(pid: int) -> int:
    """The server's memory with its children (the image decoder)."""
    try:
        process = psutil.Process(pid)
        return process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
    except psutil.Error:
        return 0


async def one(client: httpx.AsyncClient, base: str, key: str, i: int, name: str, data: bytes) -> int:
    sent = await client.post(f"{base}/widget/{key}/messages", params={"visitor": f"visitor-{i:04d}-abcdefgh"},
                             headers={"Origin": ORIGIN}, data={"message": json.dumps({"body": "my bike"})},
                             files=[("files", (name, data, "image/png"))])
    if sent.status_code != 201:
        return sent.status_code
    page = await client.get(sent.json()["link"].replace("http://shop.test", base))
    thumb = re.search(r'<img src="([^"]+)"', page.text)
    return (await client.get(base + thumb.group(1).replace("&amp;", "&"))).status_code if thumb else 0


async def storm(base: str, key: str, photos: list[tuple[str, bytes, int]]) -> list[int]:
    async with httpx.AsyncClient(timeout=120) as client:
        return await asyncio.gather(*(one(client, base, key, i, name, data) for i, (name, data, _) in enumerate(photos)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--within-budget", action="store_true",
                        help="images of 20-40 M pixels, 8 bits (all of them decoded), instead of 40-120 M")
    args = parser.parse_args()
    started = time.monotonic()
    low, high = (20_000_000, 39_000_000) if args.within_budget else (40_000_000, 120_000_000)
    photos = images(args.images, low, high)
    if args.within_budget:
        photos = [(name, bombs.png(int(px ** 0.5), int(px ** 0.5), depth=8), px) for name, _, px in photos]
    print(f"made {len(photos)} PNGs of {min(p[2] for p in photos) / 1e6:.0f}-{max(p[2] for p in photos) / 1e6:.0f} "
          f"M pixels, {sum(len(p[1]) for p in photos) / 1e6:.1f} MB in all, in {time.monotonic() - started:.0f} s")
    with tempfile.TemporaryDirectory() as folder:
        data, port = Path(folder) / "data", free_port()
        base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
        env.update(HELPDESK_DATA_DIR=str(data), HELPDESK_HOST="127.0.0.1", HELPDESK_PORT=str(port), HELPDESK_MDNS="0",
                   HELPDESK_PUBLIC_URL="http://shop.test", HELPDESK_CHAT_PER_ADDRESS_PER_MINUTE="600")
        added = subprocess.run([sys.executable, str(ROOT / "main.py"), "channel", "add", "website", "--name", "Site",
                                "--origin", ORIGIN, "--data-dir", str(data)], env=env, capture_output=True, text=True,
                               check=True, cwd=ROOT)
        key = added.stdout.strip().splitlines()[-1].split('data-helpdesk="')[1].split('"')[0]
        server = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve"], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_healthy(base, server)
            time.sleep(1)
            at_rest = rss(server.pid)
            peak, health, stop = [at_rest], [], threading.Event()

            def watch() -> None:
                with httpx.Client(timeout=10) as client:
                    while not stop.is_set():
                        began = time.perf_counter()
                        ok = client.get(base + "/api/v1/health").status_code == 200
                        health.append((time.perf_counter() - began) * 1000 if ok else float("inf"))
                        peak.append(rss(server.pid))
                        stop.wait(0.1)

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            began = time.monotonic()
            statuses = asyncio.run(storm(base, key, photos))
            took = time.monotonic() - began
            stop.set()
            watcher.join()
        finally:
            server.terminate()
            server.wait(timeout=20)
    counts = {s: statuses.count(s) for s in sorted(set(statuses))}
    print(f"{platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"{'measure':<44}{'value':>14}")
    print(f"{'server memory at rest (with its decoder)':<44}{at_rest / 1e6:>11.0f} MB")
    print(f"{'server memory, highest during the storm':<44}{max(peak) / 1e6:>11.0f} MB")
    print(f"{'health p50 / p95 / max':<44}{statistics.median(health):>6.1f} / "
          f"{sorted(health)[int(len(health) * 0.95)]:.1f} / {max(health):.1f} ms ({len(health)} asked)")
    print(f"{'all messages sent and previews answered in':<44}{took:>12.1f} s")
    print(f"{'previews: status -> count':<44}{json.dumps(counts):>14}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
