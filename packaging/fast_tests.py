"""The fast tier: lint, the type check, then the services, API, UI controller, database and channel tests on
SQLite (no browser, no built file, no PostgreSQL, no Dovecot: the channels' tests here talk to
in-process fakes of the phone app, Telegram and Twilio), about a minute on two cores with three
pytest-xdist workers. `make check` and the release workflow run it before building."""

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
    # The type check ([tool.mypy] in pyproject.toml) runs beside the tests; either failing fails the tier.
    types = subprocess.Popen([sys.executable, "-m", "mypy"], cwd=ROOT)
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "3", "-m", "not slow", "tests/services",
                            "tests/api", "tests/ui", "tests/db", "tests/packaging", "tests/channels", "tests/help", *sys.argv[1:]],
                           cwd=ROOT).returncode
    sys.exit(tests or types.wait())
