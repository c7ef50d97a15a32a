"""full-text index over message text, subjects and customer names

SQLite FTS5 external-content tables kept in step by triggers, so every write that
touches a message, a subject or a customer updates the index in the same
transaction, whoever makes it (services, bulk loads, the demo). Existing rows are
indexed here, so a database from revision 0001 becomes searchable on upgrade.
PostgreSQL (tsvector + GIN) is added by its own revision.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TOKENIZER = "unicode61 remove_diacritics 2"

SQLITE_UP = [
    # Messages (customer messages, replies and notes; system events are not text worth finding)
    f"CREATE VIRTUAL TABLE fts_message USING fts5(body, content='message', content_rowid='id', tokenize='{TOKENIZER}')",
    """CREATE TRIGGER fts_message_ai AFTER INSERT ON message WHEN new.kind != 'event' BEGIN
         INSERT INTO fts_message(rowid, body) VALUES (new.id, new.body);
       END""",
    """CREATE TRIGGER fts_message_ad AFTER DELETE ON message WHEN old.kind != 'event' BEGIN
         INSERT INTO fts_message(fts_message, rowid, body) VALUES ('delete', old.id, old.body);
       END""",
    """CREATE TRIGGER fts_message_au_old AFTER UPDATE OF body, kind ON message WHEN old.kind != 'event' BEGIN
         INSERT INTO fts_message(fts_message, rowid, body) VALUES ('delete', old.id, old.body);
       END""",
    """CREATE TRIGGER fts_message_au_new AFTER UPDATE OF body, kind ON message WHEN new.kind != 'event' BEGIN
         INSERT INTO fts_message(rowid, body) VALUES (new.id, new.body);
       END""",
    "INSERT INTO fts_message(rowid, body) SELECT id, body FROM message WHERE kind != 'event'",
    # Conversation subjects
    f"CREATE VIRTUAL TABLE fts_conversation USING fts5(subject, content='conversation', content_rowid='id', tokenize='{TOKENIZER}')",
    """CREATE TRIGGER fts_conversation_ai AFTER INSERT ON conversation BEGIN
         INSERT INTO fts_conversation(rowid, subject) VALUES (new.id, new.subject);
       END""",
    """CREATE TRIGGER fts_conversation_ad AFTER DELETE ON conversation BEGIN
         INSERT INTO fts_conversation(fts_conversation, rowid, subject) VALUES ('delete', old.id, old.subject);
       END""",
    """CREATE TRIGGER fts_conversation_au AFTER UPDATE OF subject ON conversation BEGIN
         INSERT INTO fts_conversation(fts_conversation, rowid, subject) VALUES ('delete', old.id, old.subject);
         INSERT INTO fts_conversation(rowid, subject) VALUES (new.id, new.subject);
       END""",
    "INSERT INTO fts_conversation(rowid, subject) SELECT id, subject FROM conversation",
    # Customers: name and identifiers (email, phone, external id)
    f"CREATE VIRTUAL TABLE fts_customer USING fts5(name, contact, content='customer', content_rowid='id', tokenize='{TOKENIZER}')",
    """CREATE TRIGGER fts_customer_ai AFTER INSERT ON customer BEGIN
         INSERT INTO fts_customer(rowid, name, contact) VALUES (new.id, new.name, new.contact);
       END""",
    """CREATE TRIGGER fts_customer_ad AFTER DELETE ON customer BEGIN
         INSERT INTO fts_customer(fts_customer, rowid, name, contact) VALUES ('delete', old.id, old.name, old.contact);
       END""",
    """CREATE TRIGGER fts_customer_au AFTER UPDATE OF name, contact ON customer BEGIN
         INSERT INTO fts_customer(fts_customer, rowid, name, contact) VALUES ('delete', old.id, old.name, old.contact);
         INSERT INTO fts_customer(rowid, name, contact) VALUES (new.id, new.name, new.contact);
       END""",
    "INSERT INTO fts_customer(rowid, name, contact) SELECT id, name, contact FROM customer",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS fts_message_ai",
    "DROP TRIGGER IF EXISTS fts_message_ad",
    "DROP TRIGGER IF EXISTS fts_message_au_old",
    "DROP TRIGGER IF EXISTS fts_message_au_new",
    "DROP TABLE IF EXISTS fts_message",
    "DROP TRIGGER IF EXISTS fts_conversation_ai",
    "DROP TRIGGER IF EXISTS fts_conversation_ad",
    "DROP TRIGGER IF EXISTS fts_conversation_au",
    "DROP TABLE IF EXISTS fts_conversation",
    "DROP TRIGGER IF EXISTS fts_customer_ai",
    "DROP TRIGGER IF EXISTS fts_customer_ad",
    "DROP TRIGGER IF EXISTS fts_customer_au",
    "DROP TABLE IF EXISTS fts_customer",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        raise NotImplementedError("full-text index: only SQLite is supported so far")
    for statement in SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in SQLITE_DOWN:
        op.execute(statement)
