"""full-text index over message text, subjects and customer names

SQLite FTS5 external-content tables kept in step by triggers, so every write that
touches a message, a subject or a customer updates the index in the same
transaction, whoever makes it (services, bulk loads, the demo). Existing rows are
indexed here, so a database from revision 0001 becomes searchable on upgrade.

PostgreSQL gets the same three indexes as stored generated tsvector columns with GIN
indexes. Punctuation is turned into spaces first so both engines split text into the
same words (PostgreSQL's parser would otherwise keep "carol@example.com" as one token),
and accents are removed with the unaccent extension where the server has it.

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


# The words of a text, as the search service splits a query (helpdesk/db/fts.py).
PG_WORDS = "helpdesk_search_words({})"
PG_VECTORS = {
    "message": ("CASE WHEN kind <> 'event' THEN to_tsvector('simple'::regconfig, "
                + PG_WORDS.format("body") + ") END"),
    "conversation": "to_tsvector('simple'::regconfig, " + PG_WORDS.format("subject") + ")",
    "customer": ("to_tsvector('simple'::regconfig, " + PG_WORDS.format("name") + " || ' ' || "
                 + PG_WORDS.format("contact") + ")"),
}


def _postgresql_up() -> None:
    bind = op.get_bind()
    has_unaccent = bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'").first() is not None
    if has_unaccent:
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        unaccented = "public.unaccent('public.unaccent'::regdictionary, coalesce($1, ''))"
    else:
        unaccented = "coalesce($1, '')"
    # IMMUTABLE so a generated column may use it: the dictionary is fixed per database.
    op.execute(
        "CREATE FUNCTION helpdesk_search_words(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
        f"AS $$ SELECT lower(regexp_replace({unaccented}, '[^[:alnum:]]+', ' ', 'g')) $$")
    for table, vector in PG_VECTORS.items():
        op.execute(f"ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({vector}) STORED")
        op.execute(f"CREATE INDEX fts_{table}_gin ON {table} USING gin (search_vector)")


def _postgresql_down() -> None:
    for table in PG_VECTORS:
        op.execute(f"DROP INDEX IF EXISTS fts_{table}_gin")
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")
    op.execute("DROP FUNCTION IF EXISTS helpdesk_search_words(text)")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _postgresql_up()
    elif dialect == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
    else:
        raise NotImplementedError(f"full-text index: {dialect} is not supported (SQLite or PostgreSQL)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _postgresql_down()
    elif dialect == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
