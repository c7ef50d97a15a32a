"""`helpdesk payments …`: the ways customers pay a request, set at the PC (Settings › Payments
does the same): `bank`, `stripe`, `link`, `show`, `remove KIND`. Secrets are asked for when left
out on a terminal (kept out of the shell's history) and never printed (docs/payments.md)."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Callable

from helpdesk.cli.runtime import command_app
from helpdesk.config import Settings


def add_parser(sub, common: Callable, parser_class) -> None:
    payments = sub.add_parser("payments", help="how customers pay a payment request: bank, Stripe, a link")
    actions = payments.add_subparsers(dest="payments_command", metavar="action", required=True,
                                      parser_class=parser_class)
    bank = actions.add_parser("bank", help="a bank account: details and, for EUR, an EPC QR code (works offline)")
    common(bank)
    bank.add_argument("--holder", required=True, help="the account holder's name, as the bank has it")
    bank.add_argument("--iban", required=True, help="checked (mod 97 and the country's length)")
    bank.add_argument("--bic", default="", help="optional inside SEPA")
    stripe = actions.add_parser("stripe", help="card payments through Stripe Checkout")
    common(stripe)
    stripe.add_argument("--secret-key", help="sk_… or rk_… (asked for when left out on a terminal)")
    stripe.add_argument("--webhook-secret", help="the webhook endpoint's signing secret, whsec_… (asked for too)")
    stripe.add_argument("--api-url", default="", help="Stripe's API address (default https://api.stripe.com)")
    link = actions.add_parser("link", help="a payment link of your own with {amount} (and {reference}) in it")
    common(link)
    link.add_argument("--url", required=True, help="e.g. https://paypal.me/bikeshop/{amount}EUR")
    common(actions.add_parser("show", help="what is set up (never a secret)"))
    remove = actions.add_parser("remove", help="stop offering one way to pay")
    common(remove)
    remove.add_argument("kind", choices=["bank", "stripe", "link"])


def _ask(value: str | None, prompt: str) -> str:
    if value or not sys.stdin.isatty():
        return value or ""
    return getpass.getpass(f"{prompt}: ")


def run(settings: Settings, args: argparse.Namespace, open_app: Callable) -> int:
    from helpdesk.services.base import Actor

    owner = Actor("system", None, "the data folder's owner (command line)", origin="command line")
    with command_app(settings, open_app) as app:
        ways = app.services.payments.ways
        command = args.payments_command
        if command == "bank":
            done = ways.set_bank(owner, args.holder, args.iban, args.bic)
            print(f"Bank transfer set up: {done.bank.holder}, IBAN {done.bank.iban_spaced}"
                  + (f", BIC {done.bank.bic}" if done.bank.bic else ""))
        elif command == "stripe":
            done = ways.set_stripe(owner, _ask(args.secret_key, "Stripe secret key"),
                                   _ask(args.webhook_secret, "Stripe webhook signing secret"), args.api_url)
            public = app.services.links.public_url()
            print(f"Stripe set up (keys kept, not shown). In Stripe's dashboard, send checkout.session.completed to "
                  f"{(public or '<your public address>')}/api/v1/payments/stripe")
        elif command == "link":
            done = ways.set_link(owner, args.url)
            print(f"Payment link set up: {done.link}")
        elif command == "remove":
            ways.remove(owner, args.kind)
            print(f"{args.kind} removed: new payment requests no longer offer it")
        else:
            print(json.dumps(ways.now_set().described(), indent=2))
    return 0
