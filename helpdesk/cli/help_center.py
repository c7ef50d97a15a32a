"""`helpdesk help export DIR`: the help center as files for the shop's own web host
(services/help/export.py says what goes in and what needs Helpdesk itself)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

from helpdesk.cli.runtime import command_app
from helpdesk.config import Settings
from helpdesk.services.help.export import export_site


def add_parser(sub, common: Callable, parser_class) -> None:
    help_center = sub.add_parser("help", help="the help center (/help)")
    actions = help_center.add_subparsers(dest="help_command", metavar="action", required=True,
                                         parser_class=parser_class)
    export = actions.add_parser("export", help="write the help center as files for your own web host")
    common(export)
    export.add_argument("folder", metavar="DIR", help="where to write it (made if missing; pages in it are replaced)")


def run(settings: Settings, args: argparse.Namespace, open_app: Callable) -> int:
    with command_app(settings, open_app) as app:
        services = app.services
        done = export_site(services.articles, Path(args.folder), services.promise.team_name(),
                           services.promise.logo(), services.links.public_url())
    where = done.folder.resolve()
    print(f"Help center: {done.pages} pages in {', '.join(done.languages)} written to {where}")
    print(f"Open {where / 'index.html'}, or copy the folder to your web host.")
    if not services.links.public_url():
        print("Without a public address (Settings › Customer page), the copy has no search, no \"Did this help?\" "
              "and no \"Write to us\": those need Helpdesk itself.")
    return 0
