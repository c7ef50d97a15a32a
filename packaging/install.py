"""Install Helpdesk and what its tests and builds need into the running Python (the release
workflow's runners; `make` does the same into .venv)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    subprocess.run([sys.executable, "-m", "pip", "install", "--upgrade", "pip"], check=True)
    sys.exit(subprocess.run([sys.executable, "-m", "pip", "install", "-e", f"{ROOT}[test]"], check=False).returncode)
