"""`python main.py rules list|enable|disable|export|import`: automation rules from the command line.
A rule turned on here acts on a running Helpdesk at once: the server reads the rules for every
event it handles."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

from helpdesk.cli.runtime import command_app
from helpdesk.config import ConfigError, Settings


def add_parser(sub, common: Callable, parser_class) -> None:
    rules = sub.add_parser("rules", help="automation rules: list, turn on or off, export and import")
    actions = rules.add_subparsers(dest="rules_command", metavar="action", required=True, parser_class=parser_class)
    common(actions.add_parser("list", help="every rule in the order they run: on or off, what it did last"))
    for verb in ("enable", "disable"):
        one = actions.add_parser(verb, help=f"turn a rule {'on' if verb == 'enable' else 'off'} "
                                            "(ready-made: auto-acknowledge, out-of-hours, follow-up, round-robin)")
        common(one)
        one.add_argument("name")
    export = actions.add_parser("export", help="write every rule to FILE as JSON (docs/automation.md)")
    common(export)
    export.add_argument("file", type=Path, help="where to write; - for standard output")
    load = actions.add_parser("import", help="read rules from FILE: known names are replaced, new ones added")
    common(load)
    load.add_argument("file", type=Path)


def run(settings: Settings, args: argparse.Namespace, open_app: Callable) -> int:
    from helpdesk.services.base import Actor

    command = args.rules_command
    data = _read(args.file) if command == "import" else None
    with command_app(settings, open_app) as app:
        automation = app.services.automation
        if command == "list":
            _list(automation)
        elif command in ("enable", "disable"):
            rule = automation.set_enabled(args.name, command == "enable", Actor.system())
            print(f"{rule.name}: {'on' if rule.enabled else 'off'} ({automation.describe(rule)})")
        elif command == "export":
            text = json.dumps(automation.export(), indent=2, ensure_ascii=False) + "\n"
            if str(args.file) == "-":
                sys.stdout.write(text)
            else:
                args.file.write_text(text, encoding="utf-8")
                print(f"{len(automation.rules())} rules written to {args.file}")
        else:
            added, replaced = automation.import_rules(data, Actor.system())
            print(f"imported {added + replaced} rules from {args.file}: {added} added, {replaced} replaced")
    return 0


def _read(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path} is not JSON: {exc}") from None


def _list(automation) -> None:
    rules = automation.rules()
    if not rules:
        print("no rules (python main.py rules import FILE, or Settings › Automation)")
        return
    width = max(len(r.name) for r in rules)
    for r in rules:
        if r.last_error:
            last = f"FAILING: {r.last_error}"
        elif r.last_run_at is not None:
            last = f"last {r.last_outcome} {r.last_run_at:%Y-%m-%d %H:%M} UTC: {r.last_detail or '-'}"
        else:
            last = "has not run yet"
        print(f"{r.name:<{width}}  {'on ' if r.enabled else 'off'}  {r.runs:>5} runs  {last}")
        print(f"{'':<{width}}       {automation.describe(r)}")
