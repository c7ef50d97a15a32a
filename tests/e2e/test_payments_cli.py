"""The owner sets up the ways to pay at the PC with `helpdesk payments …`, through the real
command line on the test's database; secrets never come back out."""

from __future__ import annotations

import json

import pytest

from helpdesk.app import HelpdeskApp
from helpdesk.config import Settings
from tests.cli import run

# The command line's words; what it calls runs on PostgreSQL in tests/services and tests/api.
pytestmark = pytest.mark.sqlite_only


def test_payments_are_set_up_shown_and_removed_from_the_command_line(tmp_path, database_env):
    env = {"HELPDESK_DATA_DIR": str(tmp_path), "HELPDESK_MDNS": "0"}
    wrong = run("payments", "bank", "--holder", "Bike Shop Gerber", "--iban", "DE89 3704 0044 0532 0130 01", env=env)
    assert wrong.returncode == 2 and "iban: is not a valid IBAN" in wrong.stderr
    bank = run("payments", "bank", "--holder", "Bike Shop Gerber", "--iban", "de89370400440532013000",
               "--bic", "COBADEFFXXX", env=env)
    assert bank.returncode == 0, bank.stderr
    assert "IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX" in bank.stdout
    stripe = run("payments", "stripe", "--secret-key", "sk_test_51Secret", "--webhook-secret", "whsec_Secret",
                 "--api-url", "http://127.0.0.1:9/", env=env)
    assert stripe.returncode == 0 and "/api/v1/payments/stripe" in stripe.stdout
    refused = run("payments", "link", "--url", "http://paypal.me/shop", env=env)
    assert refused.returncode == 2 and "https://" in refused.stderr
    assert run("payments", "link", "--url", "https://paypal.me/bikeshop/{amount}EUR", env=env).returncode == 0

    shown = run("payments", "show", env=env)
    assert shown.returncode == 0
    described = json.loads(shown.stdout)
    assert described["bank"]["iban"] == "DE89 3704 0044 0532 0130 00"
    assert described["stripe"]["api_url"] == "http://127.0.0.1:9"
    assert described["link"]["url"] == "https://paypal.me/bikeshop/{amount}EUR"
    everything = bank.stdout + stripe.stdout + shown.stdout + stripe.stderr + shown.stderr
    assert "sk_test_51Secret" not in everything and "whsec_Secret" not in everything

    assert run("payments", "remove", "stripe", env=env).returncode == 0
    app = HelpdeskApp(Settings(data_dir=tmp_path, database_url=database_env)).start()
    try:
        ways = app.services.payments.ways.now_set()
        assert ways.stripe_api == "" and ways.bank is not None and ways.link
        assert app.services.payments.ways.stripe_keys() == ("", "")
    finally:
        app.close()
