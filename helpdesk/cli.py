"""Command line: `python main.py [command]`. Errors are one line, for a person."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from pathlib import Path
from typing import Sequence

from helpdesk import (__version__, cli_channel, cli_desktop, cli_mailbox, cli_payments, cli_reports, cli_rules,
                      cli_service, cli_trust)
from helpdesk.config import DB_FILENAME, ConfigError, Settings, ensure_data_dir, parse_port
from helpdesk.netinfo import lan_urls

log = logging.getLogger("helpdesk")


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
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

    cli_mailbox.add_parser(sub, _common, OneLineParser)
    cli_channel.add_parser(sub, _common, OneLineParser)
    cli_rules.add_parser(sub, _common, OneLineParser)
    cli_service.add_parser(sub, _common, _listen, OneLineParser)
    cli_reports.add_parser(sub, _common, OneLineParser)
    cli_trust.add_parser(sub, _common, OneLineParser)
    cli_payments.add_parser(sub, _common, OneLineParser)

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
            return cli_desktop.run(settings)
        if command == "serve":
            return _serve(settings, demo=getattr(args, "demo", False))
        if command == "admin":
            return _admin_create(settings, args)
        if command == "token":
            return _token(settings, args)
        if command == "mailbox":
            return cli_mailbox.run(settings, args, _open)
        if command == "channel":
            return cli_channel.run(settings, args, _open)
        if command == "rules":
            return cli_rules.run(settings, args, _open)
        if command == "reports":
            return cli_reports.run(settings, args, _open)
        if command in ("agent", "customer"):
            return cli_trust.run(settings, args, _open)
        if command == "payments":
            return cli_payments.run(settings, args, _open)
        if command == "service":
            return cli_service.run(settings, args)
        if command == "demo":
            return _demo(settings)
        if command == "backup":
            return _backup(settings, args.path)
        if command == "restore":
            return _restore(settings, args.path)
        if command == "migrate-to":
            return _migrate_to(settings, args.url)
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


def _lock(settings: Settings):  # type: ignore[no-untyped-def]
    """One server per data directory (jobs and backups assume it)."""
    from helpdesk.runlock import AlreadyRunning, RunLock

    if settings.database_url:  # shared by design: no lock, but where this one serves is noted
        RunLock(ensure_data_dir(settings.data_dir)).note(settings.port)
        return None
    try:
        return RunLock(ensure_data_dir(settings.data_dir)).acquire(settings.port)
    except AlreadyRunning as exc:
        raise ConfigError(str(exc)) from None


def _announce(settings: Settings):  # type: ignore[no-untyped-def]
    """helpdesk.local on the LAN by mDNS, when Helpdesk listens there."""
    from helpdesk.lan_announce import LanAnnouncement, wanted

    if not wanted(settings):
        return None
    print(f"  also by name:     http://helpdesk.local:{settings.port}/ (not on every Android phone)")
    return LanAnnouncement(settings.port).start()


def _serve(settings: Settings, demo: bool = False) -> int:
    import uvicorn

    lock = _lock(settings)
    app = _open(settings)
    app.start_jobs()
    if demo:
        _fill_demo_if_empty(app)
    where = settings.data_dir if not settings.database_url else settings.database_url
    print(f"Helpdesk {__version__}: data in {where}")
    print(f"  on this computer: http://127.0.0.1:{settings.port}/")
    if settings.host in ("0.0.0.0", "::"):
        for url in lan_urls(settings.port):
            print(f"  on the LAN:       {url}")
    print(f"  intake API docs:  http://127.0.0.1:{settings.port}/api/docs")
    _print_setup_code(app, f"http://127.0.0.1:{settings.port}/")
    announcement = _announce(settings)
    _stop_cleanly_on_terminate()
    try:
        uvicorn.Server(app.uvicorn_config()).run()
    except OSError as exc:
        raise ConfigError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}") from exc
    finally:
        if announcement is not None:
            announcement.stop()
        app.close()
        if lock:
            lock.release()
    return 0


def _stop_cleanly_on_terminate() -> None:
    """uvicorn stops gracefully on SIGTERM (a service manager, `kill`; Ctrl+Break on Windows) and
    then raises the signal again for the handler that was there before it. With Python's default
    one that kills the process before the jobs, the database and the run lock are closed; with
    this one (which also covers a signal before uvicorn listens) the `finally` below runs, and
    Helpdesk exits 0: stopped as asked."""
    import signal

    def stop(*_: object) -> None:
        raise SystemExit(0)

    for name in ("SIGTERM", "SIGBREAK"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)


def _print_setup_code(app, url: str) -> None:  # type: ignore[no-untyped-def]
    """First run, as Jupyter does: whoever started Helpdesk gets the code that creates the owner."""
    code = app.services.auth.setup_code()
    if code:
        print(f"  first run: open {url} and create the owner account with the setup code {code}")
        print(f"  (the code is also in {app.settings.data_dir / 'setup-code.txt'}, readable only by you)")


def _backup(settings: Settings, path: Path) -> int:
    from helpdesk.db import backup as backups

    try:
        made = backups.backup(backups.sqlite_path(settings.effective_database_url), path,
                              settings.data_dir / backups.FILES)
    except (backups.BackupError, OSError) as exc:
        raise ConfigError(str(exc)) from None
    print(f"backup written to {made} ({made.stat().st_size // 1024} KiB: the database and its files)")
    return 0


def _refuse_while_running(settings: Settings, then: str) -> None:
    from helpdesk.runlock import RunLock

    if not settings.database_url and RunLock(settings.data_dir).held_elsewhere():
        raise ConfigError(f"Helpdesk is running with this data; stop it, then {then}")


def _restore(settings: Settings, path: Path) -> int:
    from helpdesk.db import backup as backups

    _refuse_while_running(settings, "restore")
    try:
        previous = backups.restore(path, backups.sqlite_path(settings.effective_database_url),
                                   settings.data_dir / backups.FILES)
    except (backups.BackupError, OSError) as exc:
        raise ConfigError(str(exc)) from None
    print(f"restored {path}; the previous database was kept as {previous}")
    return 0


def _migrate_to(settings: Settings, target_url: str) -> int:
    import sqlalchemy as sa

    from helpdesk.db import Database
    from helpdesk.db.transfer import TransferError, copy_database

    _refuse_while_running(settings, "migrate")
    if settings.is_sqlite and not settings.database_url and not (settings.data_dir / DB_FILENAME).exists():
        raise ConfigError(f"no Helpdesk database in {settings.data_dir}")
    try:
        target = Database(target_url)
    except (sa.exc.ArgumentError, ImportError, ValueError) as exc:
        raise ConfigError(f"not a database URL: {target_url!r} ({exc})") from None
    source = Database(settings.effective_database_url)
    shown = sa.make_url(target_url).render_as_string(hide_password=True)
    print(f"copying {settings.effective_database_url} to {shown}")
    try:
        results = copy_database(source.engine, target.engine, progress=lambda line: print("  " + line))
    except TransferError as exc:
        raise ConfigError(str(exc)) from None
    except sa.exc.OperationalError as exc:
        raise ConfigError(f"cannot reach the database: {str(exc.orig).strip().splitlines()[0]}") from None
    finally:
        source.dispose()
        target.dispose()
    print(f"verified {len(results)} tables, {sum(r.rows for r in results)} rows; every count and checksum matches:")
    for r in results:
        print(f"  {r.table:<22} {r.rows:>9}  sha256 {r.checksum[:16]}")
    print(f"done. Start Helpdesk on it with HELPDESK_DATABASE_URL={shown} (the SQLite file is left as it was)")
    return 0


def _admin_create(settings: Settings, args: argparse.Namespace) -> int:
    from helpdesk.services.base import Actor
    from helpdesk.services.errors import ServiceError

    password = args.password or os.environ.get("HELPDESK_ADMIN_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            raise ConfigError("no password: pass --password or set HELPDESK_ADMIN_PASSWORD")
        password = getpass.getpass("Password for the new account: ")
    app = _open(settings)
    try:
        agent = app.services.agents.create(args.email, args.name, password, role=args.role, actor=Actor.system())
    except ServiceError as exc:
        details = "; ".join(f"{k} {v}" for k, v in exc.fields.items())
        raise ConfigError(f"{exc.message}{': ' + details if details else ''}") from None
    finally:
        app.close()
    print(f"created {agent.role} {agent.name} <{agent.email}>")
    return 0


def _token(settings: Settings, args: argparse.Namespace) -> int:
    from helpdesk.services.base import Actor
    from helpdesk.services.errors import ServiceError

    app = _open(settings)
    try:
        if args.token_command == "create":
            created = app.services.tokens.create(args.name, actor=Actor.system(), scopes=args.scope.split(","),
                                                 first_responder=args.first_responder,
                                                 display_name=args.display_name)
            first = f", first responder for {created.token.first_responder}" if created.token.first_responder else ""
            print(f"API token {created.token.id} '{created.token.name}' created (scopes {created.token.scopes}{first}). "
                  "It is shown only once:")
            print(created.plaintext)
        elif args.token_command == "list":
            tokens = app.services.tokens.list()
            if not tokens:
                print("no API tokens yet: create one with `token create NAME`")
            for t in tokens:
                state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
                used = f"last used {t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never used"
                first = f"\tfirst responder for {t.first_responder}" if t.first_responder else ""
                shown = f"\tcustomers see {t.display_name}" if t.display_name else ""
                print(f"{t.id}\t{t.prefix}…\t{t.name}\t{t.scopes}\t{state}\t{used}{first}{shown}")
        elif args.token_command == "name":
            t = app.services.tokens.set_display_name(args.id, args.display_name, actor=Actor.system())
            print(f"token {t.id} '{t.name}': customers see its replies from "
                  f"{t.display_name or 'the team (its name on the customer page)'}")
        elif args.token_command == "revoke":
            t = app.services.tokens.revoke(args.id, actor=Actor.system())
            print(f"token {t.id} '{t.name}' revoked")
    except ServiceError as exc:
        details = "; ".join(f"{k} {v}" for k, v in exc.fields.items())
        raise ConfigError(f"{exc.message}{': ' + details if details else ''}") from None
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
