"""`helpdesk service install|uninstall|status`: start Helpdesk headless at login (a systemd
user unit, a LaunchAgent or a Task Scheduler task; helpdesk/autostart.py), with the data
directory, address and port it was given here."""

from __future__ import annotations

import argparse
from typing import Callable

from helpdesk.config import DEFAULT_HOST, DEFAULT_PORT, ConfigError, Settings, ensure_data_dir


def add_parser(sub, common: Callable, listen: Callable, parser_class) -> None:
    service = sub.add_parser("service", help="start Helpdesk in the background at login: install, uninstall, status")
    actions = service.add_subparsers(dest="service_command", metavar="action", required=True,
                                     parser_class=parser_class)
    install = actions.add_parser("install", help="start `helpdesk serve` at every login with this data directory "
                                                 "(and now, unless Helpdesk runs already)")
    common(install)
    listen(install)
    install.add_argument("--no-start", action="store_true", help="only from the next login on")
    common(actions.add_parser("uninstall", help="no longer start at login (and stop the background one)"))
    common(actions.add_parser("status", help="whether Helpdesk starts at login, and runs now"))


def run(settings: Settings, args: argparse.Namespace) -> int:
    from helpdesk.host.autostart import Autostart, AutostartError, serve_command
    from helpdesk.host.runlock import RunLock

    try:
        autostart = Autostart(settings.data_dir)
        if args.service_command == "install":
            ensure_data_dir(settings.data_dir)
            command = serve_command(settings.data_dir,
                                    host=settings.host if settings.host != DEFAULT_HOST else None,
                                    port=settings.port if settings.port != DEFAULT_PORT else None,
                                    database_url=settings.database_url)
            running = not settings.database_url and RunLock(settings.data_dir).held_elsewhere()
            done = autostart.install(command, start_now=not (args.no_start or running))
            print(f"Helpdesk starts at login with the data in {settings.data_dir}: {done}.")
            print(f"  ({autostart.where})")
            if running:
                print("  Helpdesk is running now already; the background one takes over from the next login.")
        elif args.service_command == "uninstall":
            existed = autostart.uninstall()
            print("Helpdesk no longer starts at login." if existed else "Helpdesk was not set to start at login.")
        else:
            print(f"Helpdesk at login: {autostart.status().describe()}")
    except AutostartError as exc:
        raise ConfigError(str(exc)) from None
    return 0
