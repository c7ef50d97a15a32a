"""`admin` (an account, e.g. the owner's on a headless PC) and `token` (API tokens for bots and integrations)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from helpdesk.cli.runtime import open_app
from helpdesk.config import ConfigError, Settings


def admin_create(settings: Settings, args: argparse.Namespace) -> int:
    from helpdesk.services.base import Actor
    from helpdesk.services.errors import ServiceError

    password = args.password or os.environ.get("HELPDESK_ADMIN_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            raise ConfigError("no password: pass --password or set HELPDESK_ADMIN_PASSWORD")
        password = getpass.getpass("Password for the new account: ")
    app = open_app(settings)
    try:
        agent = app.services.agents.create(args.email, args.name, password, role=args.role, actor=Actor.system())
    except ServiceError as exc:
        details = "; ".join(f"{k} {v}" for k, v in exc.fields.items())
        raise ConfigError(f"{exc.message}{': ' + details if details else ''}") from None
    finally:
        app.close()
    print(f"created {agent.role} {agent.name} <{agent.email}>")
    return 0


def token(settings: Settings, args: argparse.Namespace) -> int:
    from helpdesk.services.base import Actor
    from helpdesk.services.errors import ServiceError

    app = open_app(settings)
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
