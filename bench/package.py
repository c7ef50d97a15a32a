"""The packaged program: size, and cold start to the first HTTP 200 and to the window ready.

    make package && python bench/package.py [--binary dist/helpdesk] [--runs 5] [--million [--million-data DIR]]

--binary names the one file (dist/helpdesk, the default) or the .deb's one-folder program
(unpacked with `dpkg-deb -x dist/release/helpdesk_*.deb DIR`: DIR/usr/bin/helpdesk).

Each run starts the binary (`serve`) on a fresh data directory (so it also creates and migrates
the database), polls /api/v1/health every 20 ms, and stops it. With --million, also on a copy of
a database of a million messages (bench/dataset.py's), headless and with the desktop window
under Xvfb: to the first 200, and to the window's client connected and its first screen sent
(Flet logs "Start session"; then Flutter draws it).

Linux's one file unpacks its program into the user's cache on its first start only: the runs
use a cache folder of their own, unpacked once before they begin, and "first start" rows start
each time with an empty one (what the owner's very first start costs).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = tempfile.mkdtemp(prefix="helpdesk-bench-cache-")  # where Linux's one file unpacks, for these runs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cold_start(binary: Path, data: str | None = None, display: str | None = None,
               cache: str | None = None) -> tuple[float, float | None]:
    """Seconds to the first 200 and, with a display, to the window's session started."""
    port = free_port()
    data = data or tempfile.mkdtemp(prefix="helpdesk-start-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_") and k != "DISPLAY"}
    env["XDG_CACHE_HOME"] = cache or CACHE
    command = [str(binary), "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", data]
    if display:  # the desktop app: no command, settings from the environment
        env.update(DISPLAY=display, HELPDESK_HOST="127.0.0.1", HELPDESK_PORT=str(port), HELPDESK_DATA_DIR=data)
        command = [str(binary)]
    log = Path(tempfile.mkdtemp()) / "log.txt"
    started = time.monotonic()
    with open(log, "w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    first_200 = window = None
    try:
        while first_200 is None or (display and window is None):
            if first_200 is None:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=0.5).read()
                    first_200 = time.monotonic() - started
                except OSError:
                    pass  # not listening yet
            if display and window is None and "Start session" in log.read_text(errors="replace"):
                window = time.monotonic() - started
            if process.poll() is not None or time.monotonic() - started > 90:
                raise SystemExit("the binary did not start:\n" + log.read_text(errors="replace")[-2000:])
            time.sleep(0.02)
        return first_200, window
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)


def million_database(messages_per: int = 5) -> Path:
    """A data folder holding bench/dataset.py's million messages, migrated by this source tree."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from dataset import load

    from helpdesk.app import HelpdeskApp
    from helpdesk.config import Settings

    folder = Path(tempfile.mkdtemp(prefix="helpdesk-start-million-"))
    app = HelpdeskApp(Settings(data_dir=folder)).start()
    load(app.db, 100_000, 200_000, messages_per)
    app.close()
    return folder


def copy_of(folder: Path) -> str:
    target = tempfile.mkdtemp(prefix="helpdesk-start-copy-")
    shutil.copytree(folder, target, dirs_exist_ok=True)
    return target


def build_kind_and_size(binary: Path) -> tuple[str, str]:
    """'one file' or 'one folder' (the program beside its _internal folder), and its size on disk."""
    folder = binary.resolve().parent
    if (folder / "_internal").is_dir():
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
        return "one folder", f"{size / 1e6:.1f} MB"
    with open(binary, "rb") as program:
        kind = "one file, unpacked once" if program.read(2) == b"#!" else "one file"
    return kind, f"{binary.stat().st_size / 1e6:.1f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", type=Path, default=ROOT / "dist" / ("helpdesk.exe" if os.name == "nt" else "helpdesk"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--million", action="store_true", help="also on a database of a million messages")
    parser.add_argument("--million-data", type=Path, help="a data folder an earlier --million run made (it prints "
                                                          "it), instead of loading the million messages again")
    args = parser.parse_args()
    if not args.binary.exists():
        raise SystemExit(f"{args.binary} does not exist: run `make package` first")
    kind, size = build_kind_and_size(args.binary)
    rows = [(f"size ({kind})", size)]
    if kind == "one file, unpacked once":
        firsts = []
        for _ in range(args.runs):
            empty = tempfile.mkdtemp(prefix="helpdesk-bench-cache-")
            firsts.append(cold_start(args.binary, cache=empty)[0])
            shutil.rmtree(empty)
        rows += [("first start on an account (unpacks): to first 200, median", f"{statistics.median(firsts):.2f} s")]
    subprocess.run([str(args.binary), "--version"], env={**os.environ, "XDG_CACHE_HOME": CACHE},
                   check=True, stdout=subprocess.DEVNULL)  # the one file's first start, done
    starts = sorted(cold_start(args.binary)[0] for _ in range(args.runs))
    rows += [("new database: to first 200, median", f"{statistics.median(starts):.2f} s"),
            (f"new database: to first 200, slowest of {args.runs}", f"{starts[-1]:.2f} s")]
    if args.million:
        big = args.million_data or million_database()
        print(f"the million-message data folder: {big}", file=sys.stderr)
        served = sorted(cold_start(args.binary, copy_of(big))[0] for _ in range(args.runs))
        rows += [("1 M messages: to first 200, median", f"{statistics.median(served):.2f} s"),
                 (f"1 M messages: to first 200, slowest of {args.runs}", f"{served[-1]:.2f} s")]
        xvfb = subprocess.Popen(["Xvfb", ":58", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(1)
            windows = sorted(cold_start(args.binary, copy_of(big), display=":58") for _ in range(args.runs))
        finally:
            xvfb.terminate()
        rows += [("1 M messages, with the window: to first 200, median",
                  f"{statistics.median(w[0] for w in windows):.2f} s"),
                 ("1 M messages, with the window: to its first screen, median",
                  f"{statistics.median(w[1] for w in windows):.2f} s"),
                 (f"1 M messages, with the window: to its first screen, slowest of {args.runs}",
                  f"{max(w[1] for w in windows):.2f} s")]
    print(f"# {kind}: {args.binary}, {time.strftime('%Y-%m-%d')}, {platform.node()}, {os.cpu_count()} cores, "
          f"{platform.system()} {platform.machine()}")
    print(f"{'measure':<62}{'value':>12}")
    for name, value in rows:
        print(f"{name:<62}{value:>12}")
    shutil.rmtree(CACHE, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
