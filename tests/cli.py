"""Running `python main.py …` as a person does: a real process, the test's database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE_ENV: dict[str, str] = {}  # on the PostgreSQL pass: this test's database (fixture database_env)


def run(*args, env=None, input=None, timeout=120):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    full_env.update(DATABASE_ENV)
    full_env.update(env or {})
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          env=full_env, input=input, timeout=timeout, cwd=ROOT)
