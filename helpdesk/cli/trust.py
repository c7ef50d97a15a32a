"""`helpdesk agent reset-2fa EMAIL`: the owner at the PC who lost their phone (the data folder's
owner only); `helpdesk customer export REF --to FILE.zip` and `helpdesk customer erase ID --yes`:
a customer's data on request (docs/privacy.md)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Callable

from helpdesk.cli.runtime import command_app
from helpdesk.config import ConfigError, Settings, write_private


def add_parser(sub, common: Callable, parser_class) -> None:
    agent = sub.add_parser("agent", help="an agent's sign-in")
    actions = agent.add_subparsers(dest="agent_command", metavar="action", required=True, parser_class=parser_class)
    reset = actions.add_parser("reset-2fa", help="turn off an agent's two-step sign-in and sign them out everywhere "
                                                 "(a lost phone); only the data folder's owner may")
    common(reset)
    reset.add_argument("email")

    customer = sub.add_parser("customer", help="a customer's data: export it, or erase it")
    actions = customer.add_subparsers(dest="customer_command", metavar="action", required=True,
                                      parser_class=parser_class)
    export = actions.add_parser("export", help="everything held about a customer, as one zip")
    common(export)
    export.add_argument("customer", metavar="ID|EMAIL|PHONE")
    export.add_argument("--to", required=True, metavar="FILE.zip", help="where to write the zip (owner-only)")
    erase = actions.add_parser("erase", help="erase a customer's data for good (backups keep it until they rotate out)")
    common(erase)
    erase.add_argument("customer", metavar="ID|EMAIL|PHONE")
    erase.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")


def _owner_only(data_dir: Path) -> None:
    """A second step is reset only by whoever owns the data folder (who could read the database anyway)."""
    if hasattr(os, "getuid") and data_dir.exists() and data_dir.stat().st_uid != os.getuid():
        raise ConfigError(f"only the owner of {data_dir} may reset a second step; run this as that user")


def run(settings: Settings, args: argparse.Namespace, open_app: Callable) -> int:
    from helpdesk.services.base import Actor

    owner = Actor("system", None, "the data folder's owner (command line)", origin="command line")
    if args.command == "agent":
        _owner_only(settings.data_dir)
        with command_app(settings, open_app) as app:
            agent = next((a for a in app.services.agents.list() if a.email == args.email.strip().lower()), None)
            if agent is None:
                raise ConfigError(f"no agent has the email {args.email}")
            app.services.two_step.reset(agent.id, owner)
            print(f"Two-step sign-in is off for {agent.email}; every device of theirs is signed out. They sign in "
                  "with their password and set it up again from the account menu.")
        return 0
    if args.customer_command == "erase" and not args.yes:
        raise ConfigError("erasing cannot be undone: add --yes to confirm (backups keep the data until they "
                          "rotate out, 7 nights)")
    with command_app(settings, open_app) as app:
        customer_id = app.services.privacy.find(args.customer)
        if args.customer_command == "export":
            target = Path(args.to).expanduser()
            if target.suffix.lower() != ".zip":
                raise ConfigError("--to must name a .zip file")
            write_private(target, "")  # created owner-only before a byte of it is written
            with open(target, "wb") as out:
                count = app.services.privacy.export(customer_id, out, owner)
            print(f"Customer {customer_id}: {count} messages and their files exported to {target}")
        else:
            erased = app.services.privacy.erase(customer_id, owner)
            print(f"Customer {customer_id} erased: {erased.conversations} conversations kept as 'Erased customer', "
                  f"{erased.messages} messages emptied, {erased.files_deleted} files deleted")
    return 0
