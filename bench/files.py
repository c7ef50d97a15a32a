"""Uploading and serving a large file: time, and the server's peak memory.

    python bench/files.py            # a 20 MB file
    python bench/files.py --mb 50

For each way in (multipart, JSON with base64) a fresh server process takes the file with a
message, then the file is downloaded with the token and by its signed link. The server's
peak resident memory (VmHWM) is read after each phase, beside its memory at rest, so the
table shows how much of the file the server held at once."""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import free_port, wait_until_healthy  # noqa: E402

SERVER = """
import sys, uvicorn
from pathlib import Path
from helpdesk.app import HelpdeskApp
from helpdesk.config import Settings
from helpdesk.services.base import Actor
app = HelpdeskApp(Settings(data_dir=Path(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]))).start()
print(app.services.tokens.create("bench", actor=Actor.system(), scopes=["intake", "read"]).plaintext, flush=True)
uvicorn.Server(app.uvicorn_config()).run()
"""


def memory_mb(pid: int) -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def run(way: str, payload: bytes, rows: list[tuple[str, str, str]]) -> None:
    port = free_port()
    data = Path(tempfile.mkdtemp(prefix="helpdesk-files-bench-"))
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(data), str(port)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        token = server.stdout.readline().strip()  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base, server)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=300) as http:
            http.post("/api/v1/messages", json={"customer": {"email": "warm@example.com"}, "body": "warm up"})
            rest, _ = memory_mb(server.pid)
            message = {"customer": {"email": "big@example.com"}, "body": "A big file"}
            started = time.perf_counter()
            if way == "multipart":
                answer = http.post("/api/v1/messages", data={"message": json.dumps(message)},
                                   files=[("files", ("big.bin", payload, "application/octet-stream"))])
            else:
                answer = http.post("/api/v1/messages", json={**message, "attachments": [
                    {"filename": "big.bin", "data": base64.b64encode(payload).decode()}]})
            took = time.perf_counter() - started
            assert answer.status_code == 201, answer.text
            _, peak = memory_mb(server.pid)
            rows.append((f"upload {len(payload) // 1_000_000} MB, {way}", f"{took * 1000:,.0f} ms",
                         f"peak {peak:.0f} MB (at rest {rest:.0f} MB: +{peak - rest:.0f})"))
            conversation = http.get(f"/api/v1/conversations/{answer.json()['conversation_id']}").json()
            url = conversation["messages"][0]["attachments"][0]["url"]
            started = time.perf_counter()
            body = http.get(url).content
            took = time.perf_counter() - started
            assert body == payload
            _, peak_after = memory_mb(server.pid)
            rows.append((f"download it with the token ({way} run)", f"{took * 1000:,.0f} ms",
                         f"peak {peak_after:.0f} MB (+{peak_after - peak:.0f} over the upload's)"))
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=20)
    args = parser.parse_args()
    payload = os.urandom(args.mb * 1_000_000)
    rows: list[tuple[str, str, str]] = []
    for way in ("multipart", "json"):
        run(way, payload, rows)
    print(f"# files benchmark, {time.strftime('%Y-%m-%d')}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, server on loopback")
    width = max(len(r[0]) for r in rows) + 2
    print(f"{'measure':<{width}}{'time':>10}  server memory")
    for measure, took, memory in rows:
        print(f"{measure:<{width}}{took:>10}  {memory}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
