"""`python main.py mailbox add|list|check|remove|import`: the shop's mailboxes from the
command line. Passwords are never printed; a URL given without one is asked for."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from pathlib import Path
from typing import Callable

from helpdesk.cli.runtime import command_app
from helpdesk.config import ConfigError, Settings


def add_parser(sub, common: Callable, parser_class) -> None:
    mailbox = sub.add_parser("mailbox", help="the shop's mailboxes: mail in becomes conversations, replies go out")
    actions = mailbox.add_subparsers(dest="mailbox_command", metavar="action", required=True,
                                     parser_class=parser_class)
    add = actions.add_parser("add", help="add a mailbox (fetched over IMAP, replied from over SMTP)")
    common(add)
    add.add_argument("--name", required=True, help="what people call it, e.g. Support")
    add.add_argument("--address", required=True, help="the address customers write to, e.g. shop@example.com")
    add.add_argument("--imap", required=True, metavar="URL",
                     help="imaps://user:password@host:993, imap+starttls://…:143 or imap://… (user and password "
                          "percent-encoded; leave the password out to be asked)")
    add.add_argument("--smtp", required=True, metavar="URL",
                     help="smtps://user:password@host:465, smtp+starttls://…:587 or smtp://host:25 "
                          "(no user: sends without logging in)")
    add.add_argument("--folder", default="INBOX", help="the IMAP folder to fetch (default INBOX)")
    add.add_argument("--poll-seconds", type=int, default=60,
                     help="how often to look for mail when the server has no IDLE (default 60)")
    add.add_argument("--mark-read", action="store_true", help="mark mails as read on the server once imported")
    sent = add.add_mutually_exclusive_group()
    sent.add_argument("--sent-folder", default="", metavar="FOLDER",
                      help="file a copy of each reply in this IMAP folder (default: the one the server marks \\Sent), "
                           "so the shop's own mail client shows the answers")
    sent.add_argument("--no-sent-copy", action="store_true", help="file no copies of replies on the server")
    common(actions.add_parser("list", help="list mailboxes (passwords masked)"))
    check = actions.add_parser("check", help="log in to both servers; exit 0 when both work")
    common(check)
    check.add_argument("name")
    remove = actions.add_parser("remove", help="remove a mailbox (its conversations stay)")
    common(remove)
    remove.add_argument("name")
    imports = actions.add_parser("import", help="import an mbox file or a Maildir folder as history, threaded")
    common(imports)
    imports.add_argument("name", help="the mailbox the history belongs to")
    imports.add_argument("path", type=Path)


def run(settings: Settings, args: argparse.Namespace, open_app: Callable) -> int:
    from helpdesk.services.base import Actor

    with command_app(settings, open_app) as app:
        mailboxes = app.services.mail.mailboxes
        command = args.mailbox_command
        if command == "add":
            return _add(mailboxes, args, Actor.system())
        if command == "list":
            return _list(mailboxes)
        box = mailboxes.by_name(args.name)
        if command == "check":
            return _check(app.services, box)
        if command == "remove":
            mailboxes.remove(box.id, Actor.system())
            print(f"mailbox {box.name} removed (its conversations stay)")
            return 0
        if command == "import":
            return _import(app.services, box, args.path)
    return 2


def _ask_password(url: str, kind: str) -> str:
    """A URL with a user and no password: ask for it (kept out of the shell's history)."""
    from helpdesk.services.mail.urls import MailUrlError, parse_mail_url

    try:
        parsed = parse_mail_url(url, kind)
    except MailUrlError:
        return url  # the service explains what is wrong with it
    if not parsed.username or parsed.password or not sys.stdin.isatty():
        return url
    secret = getpass.getpass(f"{kind.upper()} password for {parsed.username}: ")
    return parsed.with_password(secret).full()


def _add(mailboxes, args: argparse.Namespace, actor) -> int:
    from helpdesk.services.mail.mailboxes import MailboxInput

    box, warnings = mailboxes.add(MailboxInput(
        name=args.name, address=args.address, imap=_ask_password(args.imap, "imap"),
        smtp=_ask_password(args.smtp, "smtp"), folder=args.folder, poll_seconds=args.poll_seconds,
        mark_read=args.mark_read, sent_folder="-" if args.no_sent_copy else args.sent_folder), actor)
    where = {"keyring": "in this computer's keyring", "database": "encrypted in the database",
             "none": "none needed"}[box.secret_store]
    print(f"mailbox {box.name} <{box.address}> added (passwords: {where}); "
          f"check it with `mailbox check {box.name}`")
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _list(mailboxes) -> int:
    views = mailboxes.views()
    if not views:
        print("no mailboxes yet: add one with `mailbox add --name … --address … --imap … --smtp …`")
    for v in views:
        fetched = f"fetched {v.last_fetch_at:%Y-%m-%d %H:%M}" if v.last_fetch_at else "not fetched yet"
        state = "active" if v.active else "paused"
        problems = "; ".join(p for p in (v.fetch_error, v.send_error) if p)
        filed = "no copies of replies" if v.sent_folder == "-" else f"replies filed in {v.sent_folder or 'Sent'}"
        print(f"{v.name}\t{v.address}\t{v.imap}\t{v.smtp}\t{v.folder}\t{state}\t{fetched}\t"
              f"{v.waiting} waiting to send\t{filed}" + (f"\t{problems}" if problems else ""))
    return 0


def _check(services, box) -> int:
    from helpdesk.channels.email import check

    problems = check(services, box)
    if problems:
        for problem in problems:
            print(f"{box.name}: {problem}", file=sys.stderr)
        return 1
    print(f"{box.name}: IMAP and SMTP both work")
    return 0


def _import(services, box, path: Path) -> int:
    from helpdesk.channels.email.archive import ArchiveError, import_archive

    started = time.monotonic()
    last_shown = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last_shown
        now = time.monotonic()
        if now - last_shown < 0.25 and done < total:
            return
        last_shown = now
        width = 30
        filled = int(width * done / total) if total else width
        rate = done / max(now - started, 1e-6)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} mails ({rate:.0f}/s)")
        sys.stderr.flush()

    try:
        summary = import_archive(services, box, path, progress)
    except ArchiveError as exc:
        raise ConfigError(str(exc)) from None
    sys.stderr.write("\n")
    print(f"{path}: {summary.imported} mails imported into {summary.conversations} conversations, "
          f"{summary.already} already there, {summary.skipped} not customer mail (bounces, automatic), "
          f"{summary.unreadable} could not be read ({time.monotonic() - started:.1f} s)")
    return 0
