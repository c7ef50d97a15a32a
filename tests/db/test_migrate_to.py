"""`migrate-to`: a shop's SQLite data copied into another database, verified, and usable.
On the PostgreSQL pass the target is a real PostgreSQL; on the SQLite pass another file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpdesk.app import HelpdeskApp
from helpdesk.config import Settings
from helpdesk.db import Database
from helpdesk.db.transfer import TransferError, copy_database
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.demo import fill_demo

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "nul\x00byte \ue000 emoji 🚲 RTL שלום combining e\u0301 <script>x</script>"


@pytest.fixture
def sqlite_shop(tmp_path, clock):
    """A demo shop on SQLite, plus a message with text PostgreSQL cannot hold as such."""
    settings = Settings(data_dir=tmp_path / "shop")
    app = HelpdeskApp(settings, clock=clock).start()
    fill_demo(app.db, settings, clock)
    received = app.services.conversations.receive(IncomingMessage(body=HOSTILE, email="odd@example.com",
                                                                  subject="Odd text"))
    app.close()
    return settings, received


@pytest.fixture
def target_url(tmp_path, new_database):
    return new_database(migrated=False) or f"sqlite:///{tmp_path / 'target.db'}"


def test_migrate_to_copies_everything_verified_and_the_shop_runs_on_it(sqlite_shop, target_url, tmp_path, clock):
    settings, received = sqlite_shop
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "migrate-to", target_url,
                             "--data-dir", str(settings.data_dir)], capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert "every count and checksum matches" in result.stdout
    assert "message" in result.stdout and "conversation" in result.stdout

    source = HelpdeskApp(settings, clock=clock).start()
    moved = HelpdeskApp(Settings(data_dir=tmp_path / "moved", database_url=target_url), clock=clock).start()
    try:
        for name in ("customer", "conversation", "message", "agent", "sla_breach", "csat_rating"):
            with source.db.engine.connect() as a, moved.db.engine.connect() as b:
                count = f"SELECT count(*) FROM {name}"
                assert a.exec_driver_sql(count).scalar() == b.exec_driver_sql(count).scalar()
        odd = moved.services.conversations.get(received.conversation_id)
        assert odd.messages[0].body == HOSTILE  # NUL and the escape character survive the move
        # Search works on the copy (the index is built as rows arrive), and new rows get new ids.
        word = source.services.conversations.get(1).messages[0].body.split()[0]
        assert moved.services.search.search(word)
        again = moved.services.conversations.receive(IncomingMessage(body="after the move", email="odd@example.com"))
        assert again.message_id > received.message_id
        assert moved.services.agents.authenticate("sam@bikeshop.example", "demo-password") is not None
        assert moved.services.conversations.get_by_token(odd.conversation.public_token).conversation.id == odd.conversation.id
    finally:
        source.close()
        moved.close()

    refused = subprocess.run([sys.executable, str(ROOT / "main.py"), "migrate-to", target_url, "--data-dir",
                              str(settings.data_dir)], capture_output=True, text=True, env=env, timeout=300)
    assert refused.returncode == 2
    assert "already holds Helpdesk data" in refused.stderr and refused.stderr.count("\n") == 1


def test_a_copy_that_does_not_verify_is_reported(sqlite_shop, target_url, monkeypatch):
    settings, _ = sqlite_shop
    from helpdesk.db import transfer

    real = transfer.checksum
    calls = {"n": 0}

    def tampered(conn, table):  # type: ignore[no-untyped-def]
        rows, digest = real(conn, table)
        calls["n"] += 1
        return (rows, digest if table.name != "message" or calls["n"] % 2 else "0" * 64)

    monkeypatch.setattr(transfer, "checksum", tampered)
    source, target = Database(settings.effective_database_url), Database(target_url)
    try:
        with pytest.raises(TransferError, match="verification failed for message"):
            copy_database(source.engine, target.engine)
    finally:
        source.dispose()
        target.dispose()


def test_a_bad_target_is_one_clear_line(tmp_path, sqlite_shop):
    settings, _ = sqlite_shop
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "migrate-to", "nonsense://x",
                             "--data-dir", str(settings.data_dir)], capture_output=True, text=True, env=env)
    assert result.returncode == 2 and result.stderr.startswith("helpdesk: error:")
    assert result.stderr.count("\n") == 1

