"""docs/architecture.md's walk-throughs name the files a change touches: each must exist (a file
moved without its page updated fails here), and the kinds they describe are the registered ones."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def walk_throughs() -> str:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    return text.split("## Walk-throughs", 1)[1].split("\n## ", 1)[0]


def test_every_file_a_walk_through_names_exists():
    named = set(re.findall(r"`((?:helpdesk|tests|scripts|docs)/[^`\s]+)`", walk_throughs()))
    assert len(named) > 20
    missing = sorted(path for path in named if "<" not in path and not (ROOT / path).exists())
    assert missing == []


def test_the_five_walk_throughs_are_there():
    titles = re.findall(r"^\*\*(Add [^*]+)\*\*", walk_throughs(), re.M)
    assert [t.split(" (")[0].rstrip(":") for t in titles] == [
        "Add a channel kind", "Add a conversation status, or a new way one changes", "Add an admin-only action",
        "Add a settings section", "Add a report figure"]


def test_each_registered_kind_is_one_module_in_the_registry():
    from helpdesk.channels.texts import KINDS as WORKERS
    from helpdesk.services.channel_kinds import REGISTRY

    for name, kind in REGISTRY.items():
        module = ROOT / "helpdesk" / "services" / "channel_kinds" / f"{name.replace('-', '_')}.py"
        assert module.exists() and kind.name == name
    assert set(WORKERS) <= set(REGISTRY)  # every worker has its settings; the website chat needs no worker


def test_every_automation_action_the_editor_offers_has_its_handler():
    from helpdesk.services.automation.actions import HANDLERS
    from helpdesk.services.automation.spec import ACTIONS

    assert set(HANDLERS) == set(ACTIONS)
