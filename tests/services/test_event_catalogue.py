"""One catalogue of the bus's events (helpdesk/events.py): every event is published under a name
from it, and no module keeps a second name for one. A subscriber that listens for a misspelt
string would simply never hear anything."""

from __future__ import annotations

import ast
from pathlib import Path

from helpdesk import events

PACKAGE = Path(events.__file__).resolve().parent
CATALOGUE = {value for name, value in vars(events).items() if name.isupper() and isinstance(value, str) and "." in value}


def _published(tree: ast.AST) -> list[ast.Call]:
    """tx.emit(NAME, …) and Event(NAME, …) calls: how an event gets its name."""
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr == "emit") or \
                    (isinstance(func, ast.Name) and func.id == "Event"):
                calls.append(node)
    return calls


def test_the_catalogue_names_every_event_the_services_publish():
    assert {"message.created", "conversation.updated", "sla.breached", "agent.availability"} <= CATALOGUE
    named_by_string = []
    for path in PACKAGE.rglob("*.py"):
        for call in _published(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(call.args[0], ast.Constant):
                named_by_string.append(f"{path.relative_to(PACKAGE)}:{call.lineno} {call.args[0].value!r}")
    assert named_by_string == []


def test_no_module_keeps_its_own_name_for_an_event():
    second_names = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "events.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value in CATALOGUE:
                second_names.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert second_names == []
