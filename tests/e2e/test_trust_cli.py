"""The owner at the PC: a lost phone's second step reset, a customer's data exported and erased,
through the real command line on the test's database."""

from __future__ import annotations

import json
import stat
import zipfile

import pyotp

import pytest

from helpdesk.app import HelpdeskApp
from helpdesk.config import Settings
from helpdesk.services.auth import SecondStep, SignedIn
from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from tests.cli import run

# The command line's words; what it calls runs on PostgreSQL in tests/services and tests/api.
pytestmark = pytest.mark.sqlite_only


def test_reset_2fa_export_and_erase_from_the_command_line(tmp_path, database_env):
    settings = Settings(data_dir=tmp_path, database_url=database_env)
    app = HelpdeskApp(settings).start()
    try:
        owner = app.services.agents.create("olga@shop.example", "Olga Owner", "owner-password", role="admin",
                                           actor=Actor.system())
        started = app.services.two_step.begin(owner.id, Actor.for_agent(owner))
        app.services.two_step.confirm(owner.id, pyotp.TOTP(started.secret).now(), Actor.for_agent(owner))
        assert isinstance(app.services.auth.sign_in("olga@shop.example", "owner-password"), SecondStep)
        got = app.services.conversations.receive(IncomingMessage(body="Please delete my data", email="kim@example.com",
                                                                 name="Kim Kunde"))
    finally:
        app.close()
    env = {"HELPDESK_DATA_DIR": str(tmp_path)}

    missing = run("agent", "reset-2fa", "nobody@shop.example", env=env)
    assert missing.returncode == 2 and "no agent has the email nobody@shop.example" in missing.stderr
    reset = run("agent", "reset-2fa", "olga@shop.example", env=env)
    assert reset.returncode == 0 and "Two-step sign-in is off for olga@shop.example" in reset.stdout

    target = tmp_path / "exports" / "kim.zip"
    exported = run("customer", "export", "kim@example.com", "--to", str(target), env=env)
    assert exported.returncode == 0, exported.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # a customer's data is the owner's only
    with zipfile.ZipFile(target) as zf:
        assert json.loads(zf.read("customer.json"))["conversations"][0]["messages"][0]["body"] == "Please delete my data"

    unconfirmed = run("customer", "erase", str(got.customer_id), env=env)
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    erased = run("customer", "erase", str(got.customer_id), "--yes", env=env)
    assert erased.returncode == 0 and "1 conversations kept as 'Erased customer'" in erased.stdout
    again = run("customer", "export", "kim@example.com", "--to", str(tmp_path / "again.zip"), env=env)
    assert again.returncode == 2 and "no customer is known by 'kim@example.com'" in again.stderr

    app = HelpdeskApp(settings).start()
    try:
        assert isinstance(app.services.auth.sign_in("olga@shop.example", "owner-password"), SignedIn)
        actions = [e.action for e in app.services.auditlog.recent()]
        assert {"agent.two_step_reset", "customer.exported", "customer.erased"} <= set(actions)
        assert next(e for e in app.services.auditlog.recent() if e.action == "customer.erased").address == "command line"
    finally:
        app.close()
