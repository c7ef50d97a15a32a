"""mentions: an agent named in an internal note, until they open the conversation or write in it

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

from helpdesk.db.types import UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mention",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("by_agent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["message.id"]),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mention_message_id", "mention", ["message_id"])
    op.create_index("ix_mention_agent_read", "mention", ["agent_id", "read_at", "id"])


def downgrade() -> None:
    op.drop_table("mention")
