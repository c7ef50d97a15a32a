"""Alembic migrations: a database from the first revision upgrades in place."""

from datetime import datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import helpdesk.models  # noqa: F401
from helpdesk.app import HelpdeskApp
from helpdesk.config import Settings
from helpdesk.db.migrate import current_revision, head_revision, upgrade


def test_a_database_at_the_first_revision_upgrades_and_becomes_searchable(tmp_path, new_database, clock):
    settings = Settings(data_dir=tmp_path / "data", database_url=new_database(migrated=False))
    settings.data_dir.mkdir(parents=True)
    engine = sa.create_engine(settings.effective_database_url)
    upgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    now = datetime(2026, 1, 1, 12, 0)
    with engine.begin() as conn:  # rows written by the old version, as it would have
        conn.execute(sa.text("INSERT INTO customer (id, name, contact, created_at, updated_at) "
                             "VALUES (1, 'Old Customer', 'old@example.com', :t, :t)"), {"t": now})
        conn.execute(sa.text("INSERT INTO customer_identifier (customer_id, kind, value, created_at) "
                             "VALUES (1, 'email', 'old@example.com', :t)"), {"t": now})
        conn.execute(sa.text(
            "INSERT INTO conversation (id, customer_id, subject, channel, status, priority, public_token, "
            "created_at, updated_at, last_message_preview, reopen_count, waiting_since) VALUES "
            "(1, 1, 'Legacy subject', 'api', 'open', 'normal', 'tok', :t, :t, '', 0, :t)"), {"t": now})
        conn.execute(sa.text("INSERT INTO message (conversation_id, direction, kind, channel, body, created_at) "
                             "VALUES (1, 'in', 'reply', 'api', 'a carburettor question', :t)"), {"t": now})
        if engine.dialect.name == "postgresql":  # explicit ids do not move a sequence
            for table in ("customer", "conversation"):
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1)"))
    engine.dispose()

    app = HelpdeskApp(settings, clock=clock).start()  # migrates on start
    try:
        assert current_revision(app.db.engine) == head_revision()
        hits = app.services.search.search("carburettor")
        assert [(h.kind, h.conversation_id) for h in hits] == [("message", 1)]
        assert app.services.search.search("legacy")[0].kind == "subject"
        assert app.services.conversations.get(1).customer.first("email") == "old@example.com"
        assert app.services.conversations.get_by_token("tok").conversation.id == 1  # its link still works
    finally:
        app.close()


def test_the_migrated_schema_matches_the_models(app):
    with app.db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    # The full-text index is made by hand in 0002 and is not in the models: FTS5 tables on
    # SQLite, a generated column and a GIN index per table on PostgreSQL.
    diff = [d for d in diff if not (
        (d[0] in ("remove_table", "remove_index") and d[1].name.startswith("fts_"))
        or (d[0] == "remove_column" and d[3].name == "search_vector"))]
    assert diff == []


def test_starting_twice_is_harmless(settings, clock):
    for _ in range(2):
        app = HelpdeskApp(settings, clock=clock).start()
        app.start()  # idempotent
        assert current_revision(app.db.engine) == head_revision()
        app.close()
        app.close()


@pytest.mark.sqlite_only
def test_sqlite_runs_in_wal_with_foreign_keys(app):
    with app.db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


@pytest.mark.sqlite_only
def test_every_full_text_trigger_survives_all_migrations(app):
    # A batch (copy-and-rename) migration of a table silently drops its triggers.
    with app.db.engine.connect() as conn:
        triggers = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars())
    for table in ("message", "conversation", "customer"):
        assert {f"fts_{table}_ai", f"fts_{table}_ad"} <= triggers


def test_postgresql_keeps_a_gin_indexed_search_vector_on_each_searchable_table(app):
    if not app.db.engine.dialect.name == "postgresql":
        pytest.skip("the PostgreSQL full-text index")
    with app.db.engine.connect() as conn:
        indexes = dict(conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE 'fts_%%'").all())
    for table in ("message", "conversation", "customer"):
        assert "USING gin (search_vector)" in indexes[f"fts_{table}_gin"]


def test_the_revisions_read_from_file_names_are_alembics():
    from alembic.script import ScriptDirectory

    from helpdesk.db.migrate import alembic_config, known_revisions

    scripts = ScriptDirectory.from_config(alembic_config())
    assert known_revisions() == sorted(s.revision for s in scripts.walk_revisions())
    assert head_revision() == scripts.get_current_head()


@pytest.mark.sqlite_only
def test_a_start_at_the_current_schema_does_not_load_alembic(tmp_path):
    import subprocess
    import sys

    start = ("import sys; from pathlib import Path; from helpdesk.app import HelpdeskApp; "
             "from helpdesk.config import Settings; "
             f"app = HelpdeskApp(Settings(data_dir=Path({str(tmp_path)!r}))).start(); app.close(); "
             "print('alembic' in sys.modules)")
    first, second = (subprocess.run([sys.executable, "-c", start], capture_output=True, text=True, check=True,
                                    timeout=120).stdout.split()[-1] for _ in range(2))
    assert (first, second) == ("True", "False")  # migrated on the first start only
