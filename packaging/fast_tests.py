"""The fast tier: lint, then the services, API, UI controller and database tests on SQLite (no
browser, no built file, no PostgreSQL), about a minute. `make check` and the release workflow
run it before building."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--quiet", "helpdesk", "tests", "bench", "scripts",
                           "packaging"], cwd=ROOT)
    if lint.returncode != 0:
        sys.exit(lint.returncode)
    sys.exit(subprocess.run([sys.executable, "-m", "pytest", "-q", "-m", "not slow", "tests/services", "tests/api",
                             "tests/ui", "tests/db", "tests/packaging", *sys.argv[1:]], cwd=ROOT).returncode)
