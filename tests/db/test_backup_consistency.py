"""A backup taken while messages pour in restores to a consistent database: every table
agrees with every other, the search index matches the text, and nothing acknowledged
before the backup began is missing."""

import sqlite3
import threading

import httpx
import pytest

from helpdesk.app import HelpdeskApp, ServerThread
from helpdesk.config import Settings
from helpdesk.db import backup as backups
from helpdesk.services.base import Actor

pytestmark = [pytest.mark.sqlite_only, pytest.mark.slow]


def test_a_backup_during_sustained_writes_restores_consistent(tmp_path, clock):
    settings = Settings(data_dir=tmp_path / "live", intake_per_minute=0)
    app = HelpdeskApp(settings, clock=clock).start()
    token = app.services.tokens.create("writer", actor=Actor.system()).plaintext
    acknowledged: list[int] = []
    stop = threading.Event()

    def writer(worker: int) -> None:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as http:
            n = 0
            while not stop.is_set():
                n += 1
                answer = http.post("/api/v1/messages", json={"customer": {"email": f"w{worker}-{n % 7}@example.com"},
                                                             "body": f"worker {worker} message {n} sprocket"})
                assert answer.status_code == 201
                acknowledged.append(answer.json()["message_id"])

    with ServerThread(app) as server:
        threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        while len(acknowledged) < 200:
            threading.Event().wait(0.01)
        before = set(acknowledged)
        copy = backups.backup(settings.data_dir / "helpdesk.db", tmp_path / "during.zip")
        while len(acknowledged) < len(before) + 100:  # writes went on after the copy
            threading.Event().wait(0.01)
        stop.set()
        for t in threads:
            t.join(timeout=10)
    app.close()

    restored = Settings(data_dir=tmp_path / "restored")
    restored.data_dir.mkdir()
    backups.restore(copy, restored.data_dir / "helpdesk.db")
    with sqlite3.connect(restored.data_dir / "helpdesk.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        db.execute("INSERT INTO fts_message(fts_message) VALUES ('integrity-check')")  # raises if out of step
        stored = {r[0] for r in db.execute("SELECT id FROM message WHERE direction = 'in'")}
        assert before <= stored, "a message acknowledged before the backup began is missing"
        assert len(stored) < len(acknowledged)  # a snapshot, not the end state
        # Denormalised columns agree with the rows they summarise.
        assert db.execute("""SELECT count(*) FROM conversation c WHERE c.last_message_id IS NOT NULL AND
                             NOT EXISTS (SELECT 1 FROM message m WHERE m.id = c.last_message_id)""").fetchone()[0] == 0
        assert db.execute("""SELECT count(*) FROM conversation c WHERE last_message_id !=
                             (SELECT max(id) FROM message m WHERE m.conversation_id = c.id)""").fetchone()[0] == 0
        assert db.execute("""SELECT count(*) FROM idempotency_record r
                             WHERE NOT EXISTS (SELECT 1 FROM message m WHERE m.id = r.message_id)""").fetchone()[0] == 0
        indexed = db.execute("SELECT count(*) FROM fts_message WHERE fts_message MATCH 'sprocket'").fetchone()[0]
        assert indexed == len(stored)
    # And Helpdesk opens it and finds its messages.
    reopened = HelpdeskApp(restored, clock=clock).start()
    try:
        assert len(reopened.services.search.search("sprocket", limit=5)) == 5
    finally:
        reopened.close()
