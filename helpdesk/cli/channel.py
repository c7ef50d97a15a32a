"""`python main.py channel add|list|check|remove`: phones and messaging apps from the command
line. Secrets (the phone's password, signing keys, tokens) are never printed; one given
without a value on a terminal is asked for."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any, Callable

from helpdesk.cli.runtime import command_app
from helpdesk.config import Settings
from helpdesk.services.channel_kinds import REGISTRY, Setting


def add_parser(sub, common: Callable, parser_class) -> None:
    channel = sub.add_parser("channel", help="phones and messaging apps: SMS, Telegram, Twilio (SMS and WhatsApp)")
    actions = channel.add_subparsers(dest="channel_command", metavar="action", required=True,
                                     parser_class=parser_class)
    add = actions.add_parser("add", help="add a channel: " + "; ".join(f"{k.name}: {k.help}"
                                                                       for k in REGISTRY.values()))
    common(add)
    add.add_argument("kind", choices=list(REGISTRY))
    add.add_argument("--name", required=True, help="what people call it, e.g. Phone")
    for option, (setting, kinds) in _options().items():  # each kind's settings, once each
        add.add_argument(option, dest=_dest(setting), metavar="URL" if setting.many else setting.name.upper(),
                         action="append" if setting.many else "store", default=[] if setting.many else None,
                         help=f"{'/'.join(kinds)}: {setting.help}")
    common(actions.add_parser("list", help="list channels and how they are doing (secrets masked)"))
    check = actions.add_parser("check", help="ask the channel's far end; exit 0 when it answers")
    common(check)
    check.add_argument("name")
    remove = actions.add_parser("remove", help="remove a channel (its conversations stay)")
    common(remove)
    remove.add_argument("name")


def _options() -> dict[str, tuple[Setting, list[str]]]:
    """Every kind's settings as command-line options: --name-with-dashes (or the setting's own)."""
    options: dict[str, tuple[Setting, list[str]]] = {}
    for kind in REGISTRY.values():
        for setting in kind.settings:
            option = setting.option or "--" + setting.name.replace("_", "-")
            options.setdefault(option, (setting, []))[1].append(kind.name)
    return options


def _dest(setting: Setting) -> str:
    return "setting_" + setting.name  # `from` is a keyword: never an attribute of its own


def run(settings: Settings, args: argparse.Namespace, open_app: Callable) -> int:
    from helpdesk.services.base import Actor

    with command_app(settings, open_app) as app:
        from helpdesk.host.runlock import RunLock

        port = RunLock(settings.data_dir).serving_port()
        if port:  # Helpdesk runs: links name the port it serves on, whatever the flags here say
            app.services.links.listening_on(port)
        channels = app.services.messaging.channels
        command = args.channel_command
        if command == "add":
            return _add(app.services, args, Actor.system())
        if command == "list":
            return _list(channels)
        channel = channels.by_name(args.name)
        if command == "check":
            from helpdesk.channels.texts import check

            problem = check(app.services, channel)
            if problem:
                print(f"{channel.name}: {problem}", file=sys.stderr)
                return 1
            print(f"{channel.name}: answers")
            return 0
        if command == "remove":
            channels.remove(channel.id, Actor.system())
            print(f"channel {channel.name} removed (its conversations stay)")
            return 0
    return 2


def _ask(value: str | None, prompt: str) -> str | None:
    """A secret left out on a terminal is asked for (kept out of the shell's history)."""
    if value or not sys.stdin.isatty():
        return value
    return getpass.getpass(f"{prompt}: ") or None


def _add(services, args: argparse.Namespace, actor) -> int:
    from helpdesk.services.messaging.config import webhook_path

    given: dict[str, Any] = {}
    for setting in REGISTRY[args.kind].settings:
        value = getattr(args, _dest(setting), None)
        if setting.ask:
            value = _ask(value, f"{REGISTRY[args.kind].label}: {setting.label}")
        given[setting.name] = value
    channel = services.messaging.channels.add(args.kind, args.name, {k: v for k, v in given.items() if v}, actor)
    where = {"keyring": "in this computer's keyring", "database": "encrypted in the database",
             "none": "none"}[channel.secret_store]
    print(f"channel {channel.name} ({channel.kind}) added (secrets: {where}); "
          f"check it with `channel check {channel.name}`")
    kind = REGISTRY[channel.kind]
    if kind.setup_hint:
        base = services.links.public_url() or "https://YOUR-PUBLIC-ADDRESS"
        print(kind.setup_hint.format(webhook=base + webhook_path(channel.kind, channel.name)))
    if kind.needs_public_address and not services.links.public_url():
        print(f"warning: {kind.label} reaches Helpdesk only at its public address: set it in Settings › Customer "
              "page or HELPDESK_PUBLIC_URL (signatures are checked against it)", file=sys.stderr)
    if channel.kind == "website":
        print(f"The chat is also a page: {services.chat.page_url(channel)}")
        print(services.chat.who_reaches(), file=sys.stderr if not services.links.public_url() else sys.stdout)
        print(f"Paste this line into every page of {', '.join(channel.config['origins'])} (before </body>):")
        print(services.chat.snippet(channel))
    if channel.kind == "sms-gateway":
        from helpdesk.services.messaging.config import callback_url

        print(f"Helpdesk registers its webhook with the phone itself: {callback_url(channel, services.links.lan_url())}")
        print(f"`channel check {channel.name}` asks the phone and calls that address, as the phone will.")
        if not given.get("signing_key") and services.links.public_url():
            print(f"warning: without --signing-key, {channel.name} takes texts only from the shop's network, never "
                  f"through the public address {services.links.public_url()} (set the app's signing key to be safe)",
                  file=sys.stderr)
    return 0


def _list(channels) -> int:
    views = channels.views()
    if not views:
        print(f"no channels yet: add one with `channel add {'|'.join(REGISTRY)} --name …`")
    for v in views:
        contact = f"last contact {v.last_contact_at:%Y-%m-%d %H:%M}" if v.last_contact_at else "no contact yet"
        if v.kind == "sms-gateway":
            contact += (f", last text or report {v.last_webhook_at:%Y-%m-%d %H:%M}" if v.last_webhook_at
                        else ", nothing received from the phone yet")
        state = "active" if v.active else "paused"
        print(f"{v.name}\t{v.kind}\t{v.summary}\t{state}\t{contact}\t{v.waiting} waiting to send"
              + (f"\t{v.last_error}" if v.last_error else ""))
    return 0
