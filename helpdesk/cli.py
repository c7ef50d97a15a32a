"""Command line: `python main.py [command]`. Errors are one line, for a person."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import socket
import sys
from pathlib import Path
from typing import Sequence

from helpdesk import __version__
from helpdesk.config import ConfigError, Settings, parse_port

log = logging.getLogger("helpdesk")


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, help="where the database lives (env HELPDESK_DATA_DIR; "
                                                      "default: the platform's user data folder)")
    parser.add_argument("--database-url", help="SQLAlchemy URL instead of the SQLite file (env HELPDESK_DATABASE_URL)")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="helpdesk", description="Helpdesk: a self-hosted shared inbox. "
                           "With no command it serves the inbox on the LAN.")
    parser.add_argument("--version", action="version", version=f"helpdesk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="command", parser_class=OneLineParser)

    serve = sub.add_parser("serve", help="serve the web UI, the API and the jobs (no window)")
    _common(serve)
    serve.add_argument("--host", help="address to listen on (env HELPDESK_HOST; default 0.0.0.0, the LAN)")
    serve.add_argument("--port", help="port (env HELPDESK_PORT; default 8080)")
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
    token_list = token_sub.add_parser("list", help="list tokens")
    _common(token_list)
    token_revoke = token_sub.add_parser("revoke", help="revoke a token by id")
    _common(token_revoke)
    token_revoke.add_argument("id", type=int)

    demo = sub.add_parser("demo", help="fill an empty data directory with a demo shop's history")
    _common(demo)
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


def lan_urls(port: int) -> list[str]:
    """The machine's own addresses, for colleagues' browsers (no traffic is sent)."""
    addresses: set[str] = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            address = str(info[4][0])
            if not address.startswith("127."):
                addresses.add(address)
    except OSError:
        pass
    return [f"http://{a}:{port}/" for a in sorted(addresses)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    command = args.command or "serve"
    try:
        settings = settings_from(args)
        if command == "serve":
            return _serve(settings, demo=getattr(args, "demo", False))
        if command == "admin":
            return _admin_create(settings, args)
        if command == "token":
            return _token(settings, args)
        if command == "demo":
            return _demo(settings)
    except ConfigError as exc:
        print(f"helpdesk: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    parser.error(f"unknown command {command}")
    return 2


def _open(settings: Settings):  # type: ignore[no-untyped-def]
    from helpdesk.app import HelpdeskApp

    try:
        return HelpdeskApp(settings).start()
    except ConfigError:
        raise
    except Exception as exc:  # a database that cannot be opened or migrated
        raise ConfigError(f"cannot open the database at {settings.effective_database_url}: {exc}") from exc


def _serve(settings: Settings, demo: bool = False) -> int:
    import uvicorn

    app = _open(settings)
    if demo:
        _fill_demo_if_empty(app)
    where = settings.data_dir if not settings.database_url else settings.database_url
    print(f"Helpdesk {__version__}: data in {where}")
    print(f"  on this computer: http://127.0.0.1:{settings.port}/")
    if settings.host in ("0.0.0.0", "::"):
        for url in lan_urls(settings.port):
            print(f"  on the LAN:       {url}")
    print(f"  intake API docs:  http://127.0.0.1:{settings.port}/api/docs")
    try:
        uvicorn.Server(app.uvicorn_config()).run()
    except OSError as exc:
        raise ConfigError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}") from exc
    finally:
        app.close()
    return 0


def _admin_create(settings: Settings, args: argparse.Namespace) -> int:
    from helpdesk.services.errors import ServiceError

    password = args.password or os.environ.get("HELPDESK_ADMIN_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            raise ConfigError("no password: pass --password or set HELPDESK_ADMIN_PASSWORD")
        password = getpass.getpass("Password for the new account: ")
    app = _open(settings)
    try:
        agent = app.services.agents.create(args.email, args.name, password, role=args.role)
    except ServiceError as exc:
        details = "; ".join(f"{k} {v}" for k, v in exc.fields.items())
        raise ConfigError(f"{exc.message}{': ' + details if details else ''}") from None
    finally:
        app.close()
    print(f"created {agent.role} {agent.name} <{agent.email}>")
    return 0


def _token(settings: Settings, args: argparse.Namespace) -> int:
    from helpdesk.services.errors import ServiceError

    app = _open(settings)
    try:
        if args.token_command == "create":
            created = app.services.tokens.create(args.name)
            print(f"API token {created.token.id} '{created.token.name}' created. It is shown only once:")
            print(created.plaintext)
        elif args.token_command == "list":
            tokens = app.services.tokens.list()
            if not tokens:
                print("no API tokens yet: create one with `token create NAME`")
            for t in tokens:
                state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
                used = f"last used {t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never used"
                print(f"{t.id}\t{t.prefix}…\t{t.name}\t{state}\t{used}")
        elif args.token_command == "revoke":
            t = app.services.tokens.revoke(args.id)
            print(f"token {t.id} '{t.name}' revoked")
    except ServiceError as exc:
        raise ConfigError(exc.message) from None
    finally:
        app.close()
    return 0


def _fill_demo_if_empty(app) -> bool:  # type: ignore[no-untyped-def]
    from helpdesk.services.demo import DEMO_AGENTS, DEMO_PASSWORD, fill_demo

    if app.services.agents.count() > 0:
        print("demo: the database already has data; left as it is")
        return False
    summary = fill_demo(app.db, app.settings, app.clock)
    print(f"demo: {summary.customers} customers, {summary.conversations} conversations, "
          f"{summary.messages} messages")
    for email, name, role in DEMO_AGENTS:
        print(f"  sign in as {email} / {DEMO_PASSWORD} ({name}, {role})")
    return True


def _demo(settings: Settings) -> int:
    app = _open(settings)
    try:
        if not _fill_demo_if_empty(app):
            return 1
    finally:
        app.close()
    return 0
