"""Every benchmark, one after another, each printing its table (docs/performance.md has them with
the machine and the date). `make bench` runs this; `make bench-quick` (or --quick) runs the same
measurements on small data, in about five minutes, to see that nothing broke or got much slower.

    python bench/all.py [--quick] [--only report,intake] [--skip mail,package]

Needs what the benchmarks need: Chromium (workspace, sessions, scale), Dovecot (mail), PostgreSQL
(the --postgresql columns), a built dist/helpdesk (package; `make package`). One that cannot run
here says why and the others go on; the exit code says whether any failed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PG = shutil.which("pg_ctl") or any(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))

SCRIPTS = {"intake_wrk": "intake"}  # a name that runs another name's script (with other arguments)
# name: (full arguments, quick arguments or None to leave it out of the quick run)
PLAN: dict[str, tuple[list[str], list[str] | None]] = {
    "scale": ([], ["--conversations", "10000", "--customers", "5000", "--sessions", "2", "--runs", "10",
                   "--messages", "500"]),
    "report": (["--postgresql"] if PG else [], ["--conversations", "20000", "--customers", "10000", "--runs", "3"]),
    "inbox_views": (["--postgresql"] if PG else [], ["--conversations", "20000", "--customers", "10000", "--runs", "3"]),
    # The quick run's intake is wrk's (below), which checks the stored rows against the answers too.
    "intake": (["--messages", "8000", "--concurrency", "32"], None),
    "intake_wrk": (["--wrk", "--runs", "3"], ["--wrk", "--runs", "1", "--seconds", "3"]),
    "intake_writer": ([], ["--messages", "1024", "--rounds", "2"]),
    "search": ([], ["--conversations", "20000", "--runs", "11"]),
    "diff": ([], ["--runs", "50"]),
    "live_refresh": (["--agents", "50"], ["--runs", "20", "--agents", "10"]),
    "clicks": ([], ["--runs", "10", "--conversations", "20"]),
    "workspace": ([], ["--dataset", "demo", "--tries", "6", "--sign-ins", "2"]),
    "sessions": ([], ["--sessions", "3", "--messages", "3"]),
    "reads": ([], ["--conversations", "10000", "--customers", "5000", "--runs", "10"]),
    "sla_scan": ([], ["--open", "10000", "--runs", "5"]),
    "automation": ([], ["--messages", "100"]),
    "lighthouse": ([], ["--forms", "mobile", "--pages", "page,help"]),  # /chat too in the full run
    "assist": (["--postgresql"] if PG else [], ["--conversations", "10000", "--customers", "5000", "--runs", "30"]),
    "widget": ([], ["--chats", "50", "--samples", "5"]),
    "files": ([], ["--mb", "5"]),
    "privacy": ([], ["--messages", "1000", "--conversations", "20", "--files", "10", "--others", "100"]),
    "payments": ([], ["--requests", "60"]),
    "mail": ([], None),
    "package": (["--million"], None),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small data, about five minutes")
    parser.add_argument("--only", default="", help="comma separated names")
    parser.add_argument("--skip", default="", help="comma separated names")
    args = parser.parse_args()
    only = {n for n in args.only.split(",") if n}
    skip = {n for n in args.skip.split(",") if n}
    results: list[tuple[str, str, float]] = []
    for name, (full, quick) in PLAN.items():
        if (only and name not in only) or name in skip or (args.quick and quick is None):
            continue
        if name == "package" and not (ROOT / "dist" / "helpdesk").exists():
            results.append((name, "not run: no dist/helpdesk (make package)", 0.0))
            continue
        command = [sys.executable, str(BENCH / f"{SCRIPTS.get(name, name)}.py"), *(quick if args.quick else full)]  # type: ignore[misc]
        print(f"\n=== {name}: {' '.join(command[1:])}", flush=True)
        started = time.monotonic()
        done = subprocess.run(command, cwd=ROOT)
        results.append((name, "ok" if done.returncode == 0 else f"FAILED (exit {done.returncode})",
                        time.monotonic() - started))
    print("\n=== summary")
    for name, outcome, seconds in results:
        print(f"{name:<13} {outcome:<44} {seconds:>7.0f} s")
    return 0 if all(o in ("ok",) or o.startswith("not run") for _, o, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
