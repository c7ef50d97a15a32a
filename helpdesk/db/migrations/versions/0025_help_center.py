"""the help center: articles with a full-text index, and the counts its reports read

The index is the one conversations have (migration 0002): an FTS5 external-content table kept
in step by triggers on SQLite, a generated tsvector column with a GIN index on PostgreSQL.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

from helpdesk.db.types import UTCDateTime

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

TOKENIZER = "unicode61 remove_diacritics 2"
SQLITE_UP = [
    f"CREATE VIRTUAL TABLE fts_article USING fts5(title, body, content='article', content_rowid='id', "
    f"tokenize='{TOKENIZER}')",
    """CREATE TRIGGER fts_article_ai AFTER INSERT ON article BEGIN
         INSERT INTO fts_article(rowid, title, body) VALUES (new.id, new.title, new.body);
       END""",
    """CREATE TRIGGER fts_article_ad AFTER DELETE ON article BEGIN
         INSERT INTO fts_article(fts_article, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
       END""",
    """CREATE TRIGGER fts_article_au AFTER UPDATE OF title, body ON article BEGIN
         INSERT INTO fts_article(fts_article, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
         INSERT INTO fts_article(rowid, title, body) VALUES (new.id, new.title, new.body);
       END""",
]
PG_VECTOR = ("to_tsvector('simple'::regconfig, helpdesk_search_words(title) || ' ' || "
             "helpdesk_search_words(body))")


def upgrade() -> None:
    op.create_table(
        "article",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("source_conversation_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["agent.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("language", "slug", name="uq_article_language_slug"),
    )
    op.create_table(
        "help_count",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "article_id", "kind"),
    )
    op.create_table(
        "help_search",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("query", sa.String(length=100), nullable=False),
        sa.Column("found", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "query"),
    )
    op.create_index("ix_help_search_found", "help_search", ["found", "day"])
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(f"ALTER TABLE article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({PG_VECTOR}) STORED")
        op.execute("CREATE INDEX fts_article_gin ON article USING gin (search_vector)")
    else:
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("fts_article_ai", "fts_article_ad", "fts_article_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS fts_article")
    op.drop_index("ix_help_search_found", table_name="help_search")
    op.drop_table("help_search")
    op.drop_table("help_count")
    op.drop_table("article")
