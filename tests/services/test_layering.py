"""The code's shape, checked rather than hoped for: the layers import only downwards and
no module imports another that (directly or not) imports it back."""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import Iterable, Mapping

PACKAGE = Path(__file__).resolve().parents[2] / "helpdesk"


@functools.cache
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


def _ancestors(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:k]) for k in range(1, len(parts))]


@functools.cache
def imports(path: Path, top_level_only: bool = False) -> frozenset[str]:
    """Every module `path` imports, also inside functions and relative ones (top_level_only
    for the few checks that are about what loads with the module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    # `if TYPE_CHECKING:` imports are for the type checker and never run: not a dependency.
    for block in [n for n in ast.walk(tree) if isinstance(n, ast.If) and ast.unparse(n.test).endswith("TYPE_CHECKING")]:
        typing_only = {id(n) for n in ast.walk(block)} - {id(block)}
        nodes = [n for n in nodes if id(n) not in typing_only]
    known = modules()
    name = next((n for n, p in known.items() if p == path), "")
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([module] if module else []))
            for alias in node.names:  # `from package import module` imports the module
                full = f"{module}.{alias.name}"
                out.add(full if full in known else module)
    return frozenset(out)


@functools.cache
def internal_graph() -> dict[str, frozenset[str]]:
    """Who imports whom, counting every import. Importing a.b.c also runs the packages a and
    a.b first (their __init__), unless the importer is inside them already: so a module that
    imports a sibling package's module depends on that package's whole __init__."""
    known = modules()
    graph: dict[str, frozenset[str]] = {}
    for name, path in known.items():
        edges: set[str] = set()
        for imported in imports(path):
            if imported not in known:
                continue
            edges.add(imported)
            edges |= {a for a in _ancestors(imported) if a in known and a not in _ancestors(name)}
        edges.discard(name)
        graph[name] = frozenset(edges)
    return graph


def circles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The import graph's strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return found


def test_no_module_imports_itself_back_through_others():
    assert circles(internal_graph()) == []


def test_the_circle_check_sees_imports_inside_functions(tmp_path):
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]

    nested = tmp_path / "later.py"
    nested.write_text("def later():\n    from helpdesk.services.customers import normalize_email\n")
    assert "helpdesk.services.customers" in imports(nested)


def test_importing_one_service_loads_that_service_alone():
    """services/__init__.py wires nothing (the container does): a job or a test that needs the
    customers' rules does not load mail, payments and automation with them."""
    assert imports(PACKAGE / "services" / "__init__.py") == frozenset()
    graph = internal_graph()
    assert "helpdesk.services.container" not in {d for name, deps in graph.items() for d in deps
                                                 if name.startswith("helpdesk.services.")}


def test_services_know_nothing_of_http_or_flet_or_the_computer():
    outer = ("helpdesk.host", "helpdesk.ui", "helpdesk.api", "helpdesk.channels", "helpdesk.server", "helpdesk.cli",
             "helpdesk.jobs", "helpdesk.app")
    for name, path in modules().items():
        if name.startswith("helpdesk.services"):
            used = imports(path)
            bad = {i for i in used if i.split(".")[0] in {"flet", "fastapi", "starlette", "uvicorn"}}
            assert not bad, f"{name} imports {bad}"
            reached = {i for i in used if i.startswith(outer)}
            assert not reached, f"{name} imports {reached}: hand it what it needs (services/host_facts.py)"


def test_only_the_composition_root_and_entry_points_stay_at_the_package_root():
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert loose == ["__init__.py", "app.py", "clock.py", "config.py", "events.py"]


def test_adapters_do_not_call_each_other_and_nothing_imports_the_ui():
    adapters = ("helpdesk.api", "helpdesk.ui", "helpdesk.jobs")
    for name, path in modules().items():
        used = imports(path)
        for adapter in adapters:
            if name.startswith(adapter) or name == "helpdesk.app":  # the composition root builds them all
                continue
            assert not any(i == adapter or i.startswith(adapter + ".") for i in used), f"{name} imports {adapter}"


def test_services_never_reach_down_into_channels_and_channels_stay_thin():
    for name, path in modules().items():
        used = imports(path)
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
            used = imports(path)
            assert not any(i.startswith("helpdesk.channels") for i in used), f"{name} imports a channel"
