"""Every module imports on its own, whichever is loaded first: a circle of imports breaks only
when one particular module is the first of its circle to load (the sign-in page once failed that
way while the whole app still started), so each is imported first in turn."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import importlib, pathlib, sys
from sqlmodel import SQLModel
# Every file, namespace packages (ui/, no __init__.py) included; migrations are loaded by Alembic, not imported.
names = sorted(".".join(p.with_suffix("").parts[:-1] if p.name == "__init__.py" else p.with_suffix("").parts)
               for p in pathlib.Path("helpdesk").rglob("*.py") if "migrations" not in p.parts)
failed = []
for name in names:
    for loaded in [m for m in sys.modules if m == "helpdesk" or m.startswith("helpdesk.")]:
        del sys.modules[loaded]
    SQLModel.metadata.clear()  # the tables are defined again by the fresh import
    SQLModel._sa_registry.dispose()
    try:
        importlib.import_module(name)
    except Exception as exc:  # report every one, not only the first
        failed.append(f"{name}: {exc.__class__.__name__}: {exc}")
print("\\n".join(failed))
print(f"checked {len(names)}")
"""


@pytest.mark.slow  # ~45 s: each of ~230 modules imported first in a fresh state
@pytest.mark.sqlite_only  # nothing in it depends on the database
def test_every_module_imports_first_without_a_circle():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, timeout=300,
                            env={"HELPDESK_MDNS": "0", "PATH": "/usr/bin:/bin"})
    lines = result.stdout.strip().splitlines()
    assert result.returncode == 0, result.stderr[-2000:]
    assert lines and lines[-1].startswith("checked ") and int(lines[-1].split()[1]) > 200
    assert lines[:-1] == [], "\n".join(lines[:-1])
