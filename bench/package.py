"""The one-file executable: size, and cold start to the first HTTP 200.

    make package && python bench/package.py [--binary dist/helpdesk] [--runs 5]

Each run starts the binary on a fresh data directory (so it also creates and migrates
the database), polls /api/v1/health every 20 ms, and stops it.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cold_start(binary: Path) -> float:
    port = free_port()
    data = tempfile.mkdtemp(prefix="helpdesk-start-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_") and k != "DISPLAY"}
    started = time.monotonic()
    process = subprocess.Popen([str(binary), "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", data],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=0.5).read()
                return time.monotonic() - started
            except OSError:
                if process.poll() is not None or time.monotonic() - started > 60:
                    raise SystemExit("the binary did not start")
                time.sleep(0.02)
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", type=Path, default=ROOT / "dist" / ("helpdesk.exe" if os.name == "nt" else "helpdesk"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not args.binary.exists():
        raise SystemExit(f"{args.binary} does not exist: run `make package` first")
    starts = sorted(cold_start(args.binary) for _ in range(args.runs))
    print(f"# one-file executable, {time.strftime('%Y-%m-%d')}, {platform.node()}, {os.cpu_count()} cores, "
          f"{platform.system()} {platform.machine()}")
    print(f"{'measure':<40}{'value':>12}")
    print(f"{'file size':<40}{args.binary.stat().st_size / 1e6:>9.1f} MB")
    print(f"{'cold start to first 200, median':<40}{statistics.median(starts):>10.2f} s")
    print(f"{'cold start to first 200, slowest of ' + str(args.runs):<40}{starts[-1]:>10.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
