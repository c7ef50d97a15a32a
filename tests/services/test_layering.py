"""The code's shape, checked rather than hoped for: the layers import only downwards and
no module imports another that (directly or not) imports it back."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "helpdesk"


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(path: Path, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out |= {f"{node.module}.{alias.name}" for alias in node.names}
    return out


def internal_graph(top_level_only: bool = True) -> dict[str, set[str]]:
    known = modules()
    return {name: {i for i in imports(path, top_level_only) if i in known and i != name}
            for name, path in known.items()}


def test_no_module_imports_itself_back_through_others():
    graph = internal_graph()
    # A package's __init__ re-exporting its own modules is not a cycle through the code.
    for name in graph:
        graph[name] = {d for d in graph[name] if not d.startswith(name + ".")}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt] if nxt in stack else [node, nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_services_know_nothing_of_http_or_flet():
    for name, path in modules().items():
        if name.startswith("helpdesk.services"):
            bad = {i for i in imports(path, top_level_only=False)
                   if i.split(".")[0] in {"flet", "fastapi", "starlette", "uvicorn"}}
            assert not bad, f"{name} imports {bad}"


def test_adapters_do_not_call_each_other_and_nothing_imports_the_ui():
    adapters = ("helpdesk.api", "helpdesk.ui", "helpdesk.jobs")
    for name, path in modules().items():
        used = imports(path, top_level_only=False)
        for adapter in adapters:
            if name.startswith(adapter) or name == "helpdesk.app":  # the composition root builds them all
                continue
            assert not any(i == adapter or i.startswith(adapter + ".") for i in used), f"{name} imports {adapter}"


def test_services_never_reach_down_into_channels_and_channels_stay_thin():
    for name, path in modules().items():
        used = imports(path, top_level_only=False)
        if name.startswith("helpdesk.services"):
            assert not any(i.startswith("helpdesk.channels") for i in used), f"{name} imports a channel"
        if name.startswith("helpdesk.channels"):
            assert not any(i.startswith(("helpdesk.api", "helpdesk.ui", "helpdesk.jobs")) for i in used), \
                f"{name} imports an adapter"
            assert not any(i.startswith("sqlalchemy") and not i.startswith("sqlalchemy.exc") for i in used), \
                f"{name} writes SQL"


def test_the_api_and_the_jobs_reach_channels_only_through_what_the_composition_root_gives_them():
    for name, path in modules().items():
        if name.startswith(("helpdesk.api", "helpdesk.jobs")):
            used = imports(path, top_level_only=False)
            assert not any(i.startswith("helpdesk.channels") for i in used), f"{name} imports a channel"
