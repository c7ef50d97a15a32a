"""This installation's version: refusing a newer database, backing up before an upgrade, "What's
new" once per agent, the opt-in update check, and the files that start Helpdesk at login."""

from __future__ import annotations

import json
import plistlib
import shlex
import shutil
import subprocess
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from xml.etree import ElementTree

import pytest
from alembic import command
from sqlalchemy import JSON, column, create_engine, delete, insert, table, text

from helpdesk import __version__
from helpdesk.app import HelpdeskApp
from helpdesk.host.autostart import Autostart, launch_agent_plist, scheduled_task_xml, serve_command, systemd_unit
from helpdesk.config import ConfigError
from helpdesk.db.migrate import alembic_config
from helpdesk.db.upgrade import VERSION_KEY
from helpdesk.services.errors import Forbidden, ValidationFailed
from helpdesk.services.whatsnew import NOTES

SETTING = table("app_setting", column("key"), column("value", JSON))


def set_stamp(app_or_engine, value: dict | None) -> None:
    engine = getattr(getattr(app_or_engine, "db", None), "engine", app_or_engine)
    with engine.begin() as conn:
        conn.execute(delete(SETTING).where(SETTING.c.key == VERSION_KEY))
        if value is not None:
            conn.execute(insert(SETTING).values(key=VERSION_KEY, value=value))


def test_a_new_database_is_stamped_with_this_version_and_shows_nothing_new(app, ann):
    assert app.opened is not None and app.opened.previous is None
    assert app.services.release.previous_version() is None
    assert app.services.release.whats_new(ann.id) == []


def test_a_database_a_newer_helpdesk_used_is_refused_before_anything_is_written(settings, clock):
    app = HelpdeskApp(settings, clock=clock).start()
    set_stamp(app, {"version": "9.0.0", "previous": __version__})
    app.close()
    with pytest.raises(ConfigError, match=r"last used by Helpdesk 9\.0\.0, newer than this"):
        HelpdeskApp(settings, clock=clock).start()
    # and one whose schema this build does not know
    engine = create_engine(settings.effective_database_url)
    set_stamp(engine, {"version": __version__, "previous": None})
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(ConfigError, match=r"made by a newer Helpdesk \(schema 0099"):
        HelpdeskApp(settings, clock=clock).start()


def test_an_older_version_is_backed_up_first_and_whats_new_shows_once_to_each_agent(settings, clock, ann, bob):
    if settings.database_url:
        pytest.skip("the pre-upgrade archive is of the SQLite file; PostgreSQL is backed up with pg_dump")
    app = HelpdeskApp(settings, clock=clock).start()
    from helpdesk.services.conversations import IncomingMessage

    app.services.conversations.receive(IncomingMessage(body="Kept through the upgrade", email="kim@example.com"))
    set_stamp(app, None)  # as the first release left it: no version stamped, its newest schema
    config = alembic_config()
    with app.db.engine.begin() as conn:  # the first release's newest schema was 0012
        config.attributes["connection"] = conn
        command.downgrade(config, "0012")
    app.close()

    upgraded = HelpdeskApp(settings, clock=clock).start()
    try:
        assert upgraded.opened.previous == "0.1.0" and upgraded.opened.migrated
        backup = settings.data_dir / "backups" / f"pre-upgrade-0.1.0-{__version__}.zip"
        assert upgraded.opened.backup == backup and backup.exists()
        with zipfile.ZipFile(backup) as archive:
            assert "helpdesk.db" in archive.namelist()
        release = upgraded.services.release
        assert release.previous_version() == "0.1.0"
        notes = release.whats_new(ann.id)
        assert [v for v, _ in notes] == [v for v, _ in NOTES if v == __version__] and notes[0][1]
        release.whats_new_seen(ann.id)
        assert release.whats_new(ann.id) == []
        assert release.whats_new(bob.id) == notes  # Bob has not seen it yet
    finally:
        upgraded.close()
    again = HelpdeskApp(settings, clock=clock).start()  # same version again: no second backup
    try:
        assert again.opened.previous is None and again.opened.backup is None
        assert len(list((settings.data_dir / "backups").glob("pre-upgrade-*"))) == 1
        assert again.services.release.whats_new(bob.id) == notes  # still until Bob closes it
    finally:
        again.close()


class Feed(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200 if self.body else 500)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args) -> None:  # quiet
        return


@pytest.fixture
def feed():
    server = HTTPServer(("127.0.0.1", 0), Feed)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server
    server.shutdown()


def test_the_feed_is_never_a_metadata_address_or_this_computer(services, ann):
    release = services.release
    for url in ("http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:8080/api/v1/health",
                "http://localhost/x", "http://[::1]/x", "http://192.168.1.1/router"):
        with pytest.raises(ValidationFailed):
            release.set_update_check(True, url, ann)


def test_the_update_check_is_off_until_an_admin_turns_it_on_and_then_reads_the_feed(services, ann, bob, feed):
    release = services.release
    release.feed_on_lan = True  # this test's feed is on loopback
    url = f"http://127.0.0.1:{feed.server_address[1]}/latest.json"
    Feed.body = json.dumps({"version": "99.0.0", "url": "https://example.com/releases/v99"}).encode()
    assert release.check_for_update().checked_at is None  # off: nothing asked
    with pytest.raises(Forbidden):
        release.set_update_check(True, url, bob)
    with pytest.raises(ValidationFailed):
        release.set_update_check(True, "", ann)
    release.set_update_check(True, url, ann)
    found = release.check_for_update()
    assert found.latest == "99.0.0" and found.newer and found.download == "https://example.com/releases/v99"
    Feed.body = b""  # the feed is down: said, and the last answer kept
    failed = release.check_for_update()
    assert failed.error and "could not read" in failed.error and failed.latest == "99.0.0"
    Feed.body = json.dumps({"version": __version__}).encode()
    assert not release.check_for_update().newer


def test_the_update_check_job_reports_off_when_off(app):
    assert app.job_runner.run("update_check") == "off"


COMMAND = ["/opt/Helpdesk %1/helpdesk", "serve", "--data-dir", "/home/ann/Shop \"Data\""]


def test_the_login_files_for_each_system_say_what_to_run():
    unit = systemd_unit(COMMAND)
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert shlex.split(exec_start[len("ExecStart="):].replace("%%", "%")) == COMMAND
    assert "WantedBy=default.target" in unit and "RestartPreventExitStatus=2" in unit
    plist = plistlib.loads(launch_agent_plist(COMMAND, Path("/tmp/logs")).encode())
    assert plist["ProgramArguments"] == COMMAND and plist["RunAtLoad"] is True
    task = ElementTree.fromstring(scheduled_task_xml(COMMAND, "SHOP\\ann").replace('encoding="UTF-16"', ""))
    ns = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
    assert task.find("t:Triggers/t:LogonTrigger/t:UserId", ns).text == "SHOP\\ann"
    assert task.find("t:Actions/t:Exec/t:Command", ns).text == COMMAND[0]
    assert task.find("t:Actions/t:Exec/t:Arguments", ns).text == 'serve --data-dir "/home/ann/Shop \\"Data\\""'


def test_a_packaged_program_starts_at_login_as_the_file_the_owner_ran(tmp_path, monkeypatch):
    """Linux's one file runs its program from the user's cache; login must start the one file
    (the cached folder is replaced when a new version is run), while a gone file is not named."""
    monkeypatch.setattr("sys.frozen", True, raising=False)
    monkeypatch.setattr("sys.executable", "/home/ann/.cache/helpdesk/0.2.0-abc/helpdesk")
    one_file = tmp_path / "helpdesk-0.2.0-linux-x86_64"
    one_file.write_text("")
    monkeypatch.setenv("HELPDESK_ONE_FILE", str(one_file))
    assert serve_command(tmp_path / "data")[:2] == [str(one_file), "serve"]
    one_file.unlink()
    assert serve_command(tmp_path / "data")[0] == "/home/ann/.cache/helpdesk/0.2.0-abc/helpdesk"
    monkeypatch.delenv("HELPDESK_ONE_FILE")
    assert serve_command(tmp_path / "data")[0] == "/home/ann/.cache/helpdesk/0.2.0-abc/helpdesk"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd is not installed")
def test_installing_on_linux_writes_an_enabled_unit_that_systemd_accepts(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path)}
    autostart = Autostart(tmp_path / "data", system="Linux", env=env)
    autostart.install(serve_command(tmp_path / "data"), start_now=False)
    unit = tmp_path / "config" / "systemd" / "user" / "helpdesk.service"
    assert unit.exists() and unit.stat().st_mode & 0o077 == 0
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    verify = subprocess.run(["systemd-analyze", "verify", "--user", str(unit)], capture_output=True, text=True,
                            env={"XDG_RUNTIME_DIR": str(runtime), "PATH": "/usr/bin:/bin"})
    assert verify.returncode == 0, verify.stderr
    assert autostart.status().installed
    assert autostart.uninstall() and not unit.exists() and not autostart.status().installed


def test_starting_at_login_is_for_admins(services, bob):
    with pytest.raises(Forbidden):
        services.release.set_autostart(True, bob)


def test_an_admin_turns_starting_at_login_on_and_off_for_this_data(services, ann, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr("helpdesk.host.autostart.platform.system", lambda: "Linux")
    services.release.set_autostart(True, ann)
    unit = (tmp_path / "config" / "systemd" / "user" / "helpdesk.service").read_text()
    assert str(services.settings.data_dir.resolve()) in unit
    assert services.release.autostart_status().installed
    services.release.set_autostart(False, ann)
    assert not services.release.autostart_status().installed


def test_from_source_login_starts_this_checkouts_main_py(tmp_path):
    command = serve_command(tmp_path / "data", port=8081)
    assert Path(command[1]).name == "main.py" and Path(command[1]).is_file()
    assert command[2:] == ["serve", "--data-dir", str((tmp_path / "data").resolve()), "--port", "8081"]
