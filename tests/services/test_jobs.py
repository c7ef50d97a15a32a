"""Scheduled jobs: stored in the app's database, never duplicated, recorded, and backups."""

import shutil
import sqlite3
import zipfile

import pytest

from helpdesk.app import HelpdeskApp
from helpdesk.db import backup as backups
from helpdesk.services.jobs import JOBS
from helpdesk.services.conversations import ConversationFilter, IncomingMessage


def test_restarting_the_scheduler_never_duplicates_jobs(settings, clock):
    for _ in range(3):
        app = HelpdeskApp(settings, clock=clock).start().start_jobs()
        assert sorted(j.id for j in app.jobs.scheduler.get_jobs()) == sorted(j.id for j in JOBS)
        app.close()
    app = HelpdeskApp(settings, clock=clock).start()
    try:
        with app.db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM apscheduler_jobs").scalar() == len(JOBS)
    finally:
        app.close()


def test_a_late_job_is_set_to_catch_up_once(settings, clock):
    app = HelpdeskApp(settings, clock=clock).start().start_jobs()
    try:
        for job in app.jobs.scheduler.get_jobs():
            assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time is None
    finally:
        app.close()


def test_a_job_run_is_recorded_with_its_result(app, services, clock):
    services.conversations.receive(IncomingMessage(body="hi", email="a@example.com"))
    clock.advance(days=3)
    assert app.job_runner.run("sla_scan") == "1 new breach"  # first response; resolution is not due yet
    status = app.services.jobs.statuses()["sla_scan"]
    assert status.last_result == "1 new breach" and status.last_error == ""
    assert status.last_finished_at == clock.now()


def test_a_failing_job_records_its_error(app, monkeypatch):
    def broken():
        raise RuntimeError("disk full")
    monkeypatch.setitem(app.job_runner._tasks, "purge_sessions", broken)
    assert app.job_runner.run("purge_sessions") == "failed"
    assert "disk full" in app.services.jobs.statuses()["purge_sessions"].last_error


@pytest.mark.sqlite_only
def test_the_nightly_backup_is_a_valid_archive_holding_every_row_and_keeps_seven(app, services, settings, tmp_path):
    for i in range(20):
        services.conversations.receive(IncomingMessage(body=f"message {i}", email=f"c{i}@example.com"))
    for _ in range(9):
        assert app.job_runner.run("nightly_backup") != "failed"
    kept = sorted((settings.data_dir / "backups").glob("helpdesk-*.zip"))
    assert 1 <= len(kept) <= 7
    backups.verify(kept[-1])
    assert all(p.stat().st_mode & 0o077 == 0 for p in kept)  # owner-only, like the database
    with zipfile.ZipFile(kept[-1]) as archive:
        archive.extract("helpdesk.db", tmp_path)
    with sqlite3.connect(tmp_path / "helpdesk.db") as db:
        assert db.execute("SELECT count(*) FROM message").fetchone()[0] == 20
        assert db.execute("SELECT count(*) FROM fts_message WHERE fts_message MATCH 'message'").fetchone()[0] == 20


@pytest.mark.sqlite_only
def test_restore_brings_back_the_backup_and_keeps_the_current_database(settings, clock, tmp_path):
    app = HelpdeskApp(settings, clock=clock).start()
    app.services.conversations.receive(IncomingMessage(body="before the backup", email="a@example.com"))
    database = settings.data_dir / "helpdesk.db"
    saved = backups.backup(database, tmp_path / "saved.zip", settings.data_dir / "files")
    app.services.conversations.receive(IncomingMessage(body="after the backup", email="b@example.com"))
    app.close()
    previous = backups.restore(saved, database, settings.data_dir / "files")
    assert previous.exists()
    app = HelpdeskApp(settings, clock=clock).start()
    try:
        bodies = [m.body for c in app.services.conversations.list(ConversationFilter()).conversations
                  for m in app.services.conversations.get(c.id).messages]
        assert bodies == ["before the backup"]
    finally:
        app.close()


@pytest.mark.sqlite_only
def test_a_restored_backup_opens_its_attachments(settings, clock, tmp_path):
    photo = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    app = HelpdeskApp(settings, clock=clock).start()
    staged = app.services.files.stage_bytes(photo, "broken-part.png")
    app.services.conversations.receive(IncomingMessage(body="see the photo", email="a@example.com"), files=[staged])
    files = settings.data_dir / "files"
    saved = backups.backup(settings.data_dir / "helpdesk.db", tmp_path, files)
    app.close()
    shutil.rmtree(files)  # the disk with the files is lost
    (settings.data_dir / "helpdesk.db").unlink()
    backups.restore(saved, settings.data_dir / "helpdesk.db", files)
    app = HelpdeskApp(settings, clock=clock).start()
    try:
        detail = app.services.conversations.get(1)
        attachment = detail.attachments[detail.messages[0].id][0]
        assert attachment.filename == "broken-part.png" and attachment.content_type == "image/png"
        assert app.services.files.path_of(attachment.sha256).read_bytes() == photo
    finally:
        app.close()


@pytest.mark.sqlite_only
def test_restore_refuses_a_file_that_is_not_a_helpdesk_database(settings, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(backups.BackupError):
        backups.restore(junk, settings.data_dir / "helpdesk.db")
