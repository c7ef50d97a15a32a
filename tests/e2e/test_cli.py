"""The command line as a person runs it: real processes, real data directories."""

import os
import subprocess
import sys
from datetime import timedelta

import httpx
import pytest

from helpdesk import __version__
from helpdesk.app import HelpdeskApp, ServerThread
from helpdesk.config import Settings
from tests.cli import DATABASE_ENV, ROOT, run
from tests.helpers import free_port, wait_until_healthy

pytestmark = pytest.mark.usefixtures("database_env")


def test_version_and_help():
    assert run("--version").stdout.strip() == f"helpdesk {__version__}"
    helped = run("--help")
    assert helped.returncode == 0
    for command in ("serve", "admin", "token", "demo"):
        assert command in helped.stdout


def test_a_bad_flag_is_one_clear_line():
    result = run("serve", "--bogus")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "unrecognized arguments: --bogus" in result.stderr
    bad_port = run("serve", "--port", "eighty")
    assert bad_port.returncode == 2 and bad_port.stderr.strip() == \
        "helpdesk: error: --port must be a number from 1 to 65535, not 'eighty'"


@pytest.mark.sqlite_only  # with PostgreSQL the data directory holds no database
def test_an_unwritable_data_directory_is_one_clear_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = run("token", "create", "x", "--data-dir", str(blocker / "data"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"helpdesk: error: data directory {blocker / 'data'} is not writable: Not a directory"


def test_token_create_prints_a_working_token_as_its_last_line(tmp_path, database_env):
    result = run("token", "create", "website", env={"HELPDESK_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("hd_") and len(token) > 40
    app = HelpdeskApp(Settings(data_dir=tmp_path, database_url=database_env)).start()
    try:
        with ServerThread(app) as server:
            ok = httpx.post(server.url + "/api/v1/messages", headers={"Authorization": f"Bearer {token}"},
                            json={"customer": {"email": "a@example.com"}, "body": "hi"})
            assert ok.status_code == 201
    finally:
        app.close()
    listed = run("token", "list", "--data-dir", str(tmp_path))
    assert "website" in listed.stdout and "active" in listed.stdout
    revoked = run("token", "revoke", "1", "--data-dir", str(tmp_path))
    assert revoked.returncode == 0 and "revoked" in revoked.stdout


def test_admin_create_and_its_errors(tmp_path):
    created = run("admin", "create", "--email", "Owner@Shop.example", "--name", "Owner", "--password",
                  "a long password", "--data-dir", str(tmp_path))
    assert created.returncode == 0, created.stderr
    assert "created admin Owner <owner@shop.example>" in created.stdout
    again = run("admin", "create", "--email", "owner@shop.example", "--name", "Owner", "--password",
                "a long password", "--data-dir", str(tmp_path))
    assert again.returncode == 2 and "already exists" in again.stderr
    short = run("admin", "create", "--email", "x@shop.example", "--name", "X", "--password", "short",
                "--data-dir", str(tmp_path))
    assert short.returncode == 2 and "password must be at least 8 characters" in short.stderr
    from_env = run("admin", "create", "--email", "e@shop.example", "--name", "E", "--role", "agent",
                   "--data-dir", str(tmp_path), env={"HELPDESK_ADMIN_PASSWORD": "from the environment"})
    assert from_env.returncode == 0, from_env.stderr


@pytest.mark.slow
def test_demo_fills_a_believable_shop(tmp_path, database_env):
    result = run("demo", "--data-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    app = HelpdeskApp(Settings(data_dir=tmp_path, database_url=database_env)).start()
    try:
        from sqlmodel import func, select
        from helpdesk.models import Conversation, Customer, Message
        with app.db.read() as s:
            statuses = dict(s.exec(select(Conversation.status, func.count()).group_by(Conversation.status)).all())
            customers = s.exec(select(func.count()).select_from(Customer)).one()
            kinds = dict(s.exec(select(Message.kind, func.count()).group_by(Message.kind)).all())
            transfers = s.exec(select(func.count()).select_from(Message).where(
                Message.body.like("Transferred%"))).one()
            spans = s.exec(select(Conversation.created_at, Conversation.last_message_at)).all()
        assert 60 <= customers <= 75
        assert sum(statuses.values()) == 80
        assert set(statuses) == {"open", "pending", "snoozed", "resolved"}
        assert kinds["note"] > 0 and kinds["event"] > 0 and transfers > 0
        assert any((last - first).days >= 1 for first, last in spans)  # some span days
        assert app.services.agents.authenticate("sam@bikeshop.example", "demo-password") is not None
        # Its Reports read as a shop's would (issue 20 found 0 s, 88 % and no ratings).
        today = app.services.clock.now().date()
        report = app.services.reports.summary(today - timedelta(days=29), today)
        assert report.next_response.median_seconds > 5 * 60
        assert 0.05 < report.recontact_rate < 0.35
        assert report.csat_count >= 20 and 3.5 < report.csat_average < 4.9
        assert 0.3 < report.first_response.within_target_share < 0.95
    finally:
        app.close()
    again = run("demo", "--data-dir", str(tmp_path))
    assert again.returncode == 1 and "already has data" in again.stdout


def test_serve_honours_environment_variables(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    env.update({"HELPDESK_DATA_DIR": str(tmp_path / "env-data"), "HELPDESK_HOST": "127.0.0.1",
                "HELPDESK_PORT": str(port), **DATABASE_ENV})
    process = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve"], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process)
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/health").json()["status"] == "ok"
        assert (tmp_path / "env-data" / "helpdesk.db").exists() != bool(DATABASE_ENV)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.sqlite_only
def test_backup_and_restore_from_the_command_line(tmp_path):
    data = tmp_path / "data"
    assert run("token", "create", "first", "--data-dir", str(data)).returncode == 0
    made = run("backup", str(tmp_path / "copy.zip"), "--data-dir", str(data))
    assert made.returncode == 0 and "backup written to" in made.stdout
    assert run("token", "create", "second", "--data-dir", str(data)).returncode == 0
    restored = run("restore", str(tmp_path / "copy.zip"), "--data-dir", str(data))
    assert restored.returncode == 0, restored.stderr
    listed = run("token", "list", "--data-dir", str(data)).stdout
    assert "first" in listed and "second" not in listed
    bad = run("restore", str(tmp_path / "missing.db"), "--data-dir", str(data))
    assert bad.returncode == 2 and bad.stderr.startswith("helpdesk: error:")


@pytest.mark.sqlite_only
def test_a_second_server_on_the_same_data_is_refused(tmp_path):
    from helpdesk.host.runlock import RunLock
    lock = RunLock(tmp_path).acquire()
    try:
        result = run("serve", "--data-dir", str(tmp_path), "--port", "0")
        assert result.returncode == 2
        assert "already running" in result.stderr
        assert run("restore", str(tmp_path / "x.db"), "--data-dir", str(tmp_path)).stderr.strip() == \
            "helpdesk: error: Helpdesk is running with this data; stop it, then restore"
    finally:
        lock.release()
