"""Every module imports on its own, whichever is loaded first: a circle of imports breaks only
when one particular module is the first of its circle to load (the sign-in page once failed that
way while the whole app still started), so each is imported first in turn."""

from __future__ import annotations

import os
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
part, parts = int(sys.argv[1]), int(sys.argv[2])
names = names[part::parts]  # this process's share
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


@pytest.mark.slow  # each of ~240 modules imported first in a fresh state, one process per CPU
@pytest.mark.sqlite_only  # nothing in it depends on the database
def test_every_module_imports_first_without_a_circle():
    parts = max(2, os.cpu_count() or 2)
    running = [subprocess.Popen([sys.executable, "-c", SCRIPT, str(part), str(parts)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=ROOT,
                                env={"HELPDESK_MDNS": "0", "PATH": "/usr/bin:/bin"}) for part in range(parts)]
    checked, failed = 0, []
    for process in running:
        out, err = process.communicate(timeout=300)
        lines = out.strip().splitlines()
        assert process.returncode == 0, err[-2000:]
        assert lines and lines[-1].startswith("checked ")
        checked += int(lines[-1].split()[1])
        failed += lines[:-1]
    assert checked > 200
    assert failed == [], "\n".join(failed)
