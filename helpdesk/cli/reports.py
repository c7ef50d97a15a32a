"""`helpdesk reports rebuild`: drop Reports' stored daily figures and compute them again from every
conversation (they are kept current by themselves; this is for after restoring an old backup into
a running shop's folder, or to measure)."""

from __future__ import annotations

import argparse
import time
from datetime import date
from typing import Callable

from helpdesk.cli.runtime import command_app
from helpdesk.config import ConfigError, Settings


def add_parser(sub, common: Callable, parser_class) -> None:
    reports = sub.add_parser("reports", help="Reports' stored daily figures")
    actions = reports.add_subparsers(dest="reports_command", metavar="action", required=True,
                                     parser_class=parser_class)
    rebuild = actions.add_parser("rebuild", help="compute every day's figures again, from the first conversation")
    common(rebuild)
    rebuild.add_argument("--since", metavar="YYYY-MM-DD", help="only from this day on")


def run(settings: Settings, args: argparse.Namespace, open_app: Callable) -> int:
    since = None
    if args.since:
        try:
            since = date.fromisoformat(args.since)
        except ValueError:
            raise ConfigError(f"--since must be a date like 2026-01-31, not {args.since!r}") from None
    with command_app(settings, open_app) as app:
        started = time.monotonic()
        days = app.services.reports.rebuild_rollups(since)
        print(f"Reports: {days} days computed and stored in {time.monotonic() - started:.1f} s")
    return 0
