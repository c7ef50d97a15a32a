"""The built file leaves some installed packages out to stay small (packaging/helpdesk.spec's
excludes); none of them may be one Helpdesk imports, or the built file fails at start while
every test of the source passes (markdown_it, left out while only rich used it, did so when
the help center came)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _excludes() -> set[str]:
    tree = ast.parse((ROOT / "packaging" / "helpdesk.spec").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "excludes" for t in node.targets):
            return {ast.literal_eval(e) for e in node.value.elts}  # type: ignore[attr-defined]
    raise AssertionError("packaging/helpdesk.spec has no excludes list")


def _imported() -> set[str]:
    """Every module named by an import anywhere in helpdesk/ (inside functions too)."""
    found: set[str] = set()
    for path in (ROOT / "helpdesk").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module)
    return found


def test_nothing_helpdesk_imports_is_left_out_of_the_built_file():
    excludes = _excludes()
    assert "pytest" in excludes  # the list was read
    clashes = sorted(m for m in _imported() if m.split(".")[0] not in sys.stdlib_module_names and any(
        m == e or m.startswith(e + ".") for e in excludes))
    assert clashes == [], f"imported by helpdesk/ but excluded from the built file: {clashes}"
