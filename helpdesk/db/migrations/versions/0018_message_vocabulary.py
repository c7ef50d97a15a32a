"""the message index's own vocabulary, for quick searches by the start of a word

An fts5vocab table over fts_message (SQLite only): it holds no data of its own, so it is made
at once however many messages there are, and it lets a search look up which indexed words a
typed prefix stands for, one seek a word, instead of merging every such word's list of rows
(helpdesk/db/fts_messages.py). PostgreSQL's search is unchanged.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE fts_message_vocab USING fts5vocab(fts_message, instance)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS fts_message_vocab")
