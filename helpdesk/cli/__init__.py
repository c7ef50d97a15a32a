"""Command line: `python main.py [command]`. Errors are one line, for a person."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import NoReturn, Sequence

from helpdesk import __version__
from helpdesk.cli import (accounts, channel, data, desktop, help_center, mailbox, payments, reports, rules, serve,
                          service, trust)
from helpdesk.cli.runtime import open_app
from helpdesk.config import ConfigError, Settings, parse_port

log = logging.getLogger("helpdesk")


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _common(parser: argparse.ArgumentParser, top: bool = False) -> None:
    # On subcommands the default is "not given", so it never hides the same flag given before the command.
    default = None if top else argparse.SUPPRESS
    parser.add_argument("--data-dir", type=Path, default=default,
                        help="where the database lives (env HELPDESK_DATA_DIR; default: the platform's user data folder)")
    parser.add_argument("--database-url", default=default,
                        help="SQLAlchemy URL instead of the SQLite file (env HELPDESK_DATABASE_URL)")


def _listen(parser: argparse.ArgumentParser, top: bool = False) -> None:
    default = None if top else argparse.SUPPRESS
    parser.add_argument("--host", default=default,
                        help="address to listen on (env HELPDESK_HOST; default 0.0.0.0, the LAN)")
    parser.add_argument("--port", default=default, help="port (env HELPDESK_PORT; default 8080)")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="helpdesk", description="Helpdesk: a self-hosted shared inbox. "
                           "With no command it opens the desktop window and serves the LAN.")
    parser.add_argument("--version", action="version", version=f"helpdesk {__version__}")
    _common(parser, top=True)
    _listen(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="command", parser_class=OneLineParser)

    serve = sub.add_parser("serve", help="serve the web UI, the API and the jobs (no window)")
    _common(serve)
    _listen(serve)
    serve.add_argument("--demo", action="store_true", help="fill an empty database with a demo shop first")

    admin = sub.add_parser("admin", help="manage agent accounts")
    admin_sub = admin.add_subparsers(dest="admin_command", metavar="action", required=True,
                                     parser_class=OneLineParser)
    create = admin_sub.add_parser("create", help="create an agent (an admin by default)")
    _common(create)
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--password", help="omit to be asked (or set HELPDESK_ADMIN_PASSWORD)")
    create.add_argument("--role", choices=["admin", "agent"], default="admin")

    token = sub.add_parser("token", help="manage API tokens for integrations")
    token_sub = token.add_subparsers(dest="token_command", metavar="action", required=True,
                                     parser_class=OneLineParser)
    token_create = token_sub.add_parser("create", help="create a token; it is printed once, as the last line")
    _common(token_create)
    token_create.add_argument("name", help="what the token is for, e.g. website")
    token_create.add_argument("--scope", default="intake,read",
                              help="what it may do, comma separated: intake, verify (vouch for signed-in "
                                   "customers), read, reply, admin (default intake,read; a bot needs reply)")
    token_create.add_argument("--first-responder", metavar="CHANNEL",
                              help="a bot token that answers this channel's new conversations before people "
                                   "(e.g. web or api)")
    token_create.add_argument("--display-name", default="", metavar="NAME",
                              help="who customers see writing its replies, e.g. 'Larsen Bikes assistant' "
                                   "(default: the team's name)")
    token_name = token_sub.add_parser("name", help="set who customers see writing a token's replies")
    _common(token_name)
    token_name.add_argument("id", type=int)
    token_name.add_argument("display_name", help="e.g. 'Larsen Bikes assistant'; '' for the team's name")
    token_list = token_sub.add_parser("list", help="list tokens")
    _common(token_list)
    token_revoke = token_sub.add_parser("revoke", help="revoke a token by id")
    _common(token_revoke)
    token_revoke.add_argument("id", type=int)

    mailbox.add_parser(sub, _common, OneLineParser)
    channel.add_parser(sub, _common, OneLineParser)
    rules.add_parser(sub, _common, OneLineParser)
    service.add_parser(sub, _common, _listen, OneLineParser)
    reports.add_parser(sub, _common, OneLineParser)
    help_center.add_parser(sub, _common, OneLineParser)
    trust.add_parser(sub, _common, OneLineParser)
    payments.add_parser(sub, _common, OneLineParser)

    demo = sub.add_parser("demo", help="fill an empty data directory with a demo shop's history")
    _common(demo)

    backup = sub.add_parser("backup", help="copy the database to PATH (safe while Helpdesk runs)")
    _common(backup)
    backup.add_argument("path", type=Path, help="a file, or a folder for a dated file")
    restore = sub.add_parser("restore", help="replace the database with the backup at PATH (stop Helpdesk first)")
    _common(restore)
    restore.add_argument("path", type=Path)
    migrate_to = sub.add_parser("migrate-to", help="copy this shop's data into another database "
                                "(e.g. PostgreSQL), verified by counts and checksums")
    _common(migrate_to)
    migrate_to.add_argument("url", help="the target, e.g. postgresql+psycopg://user:password@host/helpdesk")
    return parser


def settings_from(args: argparse.Namespace, env: dict[str, str] | None = None) -> Settings:
    settings = Settings.from_env(os.environ if env is None else env)
    port = getattr(args, "port", None)
    return settings.with_overrides(
        data_dir=getattr(args, "data_dir", None),
        database_url=getattr(args, "database_url", None),
        host=getattr(args, "host", None),
        port=parse_port(port, "--port") if port is not None else None,
    )


def main(argv: Sequence[str] | None = None) -> int:
    # Line by line even into a pipe or a log file: an owner (or a test) sees each message as it happens.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(line_buffering=True)
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry URLs: a bot token is in Telegram's
    command = args.command or "desktop"
    try:
        settings = settings_from(args)
        if command == "desktop":
            return desktop.run(settings)
        if command == "serve":
            return serve.serve(settings, demo=getattr(args, "demo", False))
        if command == "admin":
            return accounts.admin_create(settings, args)
        if command == "token":
            return accounts.token(settings, args)
        if command == "mailbox":
            return mailbox.run(settings, args, open_app)
        if command == "channel":
            return channel.run(settings, args, open_app)
        if command == "rules":
            return rules.run(settings, args, open_app)
        if command == "reports":
            return reports.run(settings, args, open_app)
        if command == "help":
            return help_center.run(settings, args, open_app)
        if command in ("agent", "customer"):
            return trust.run(settings, args, open_app)
        if command == "payments":
            return payments.run(settings, args, open_app)
        if command == "service":
            return service.run(settings, args)
        if command == "demo":
            return serve.demo(settings)
        if command == "backup":
            return data.backup(settings, args.path)
        if command == "restore":
            return data.restore(settings, args.path)
        if command == "migrate-to":
            return data.migrate_to(settings, args.url)
    except ConfigError as exc:
        print(f"helpdesk: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    parser.error(f"unknown command {command}")
    return 2
