"""inbox indexes: Mine and Unassigned newest first; partial indexes for the bots' conversations
instead of one over every conversation's bot_token_id

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BOTS = sa.text("bot_token_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_conversation_bot_token_id", table_name="conversation")
    op.drop_index("ix_conversation_assignee_status", table_name="conversation")
    op.create_index("ix_conversation_assignee_status_last", "conversation",
                    ["assignee_id", "status", "last_message_at", "id"])
    op.create_index("ix_conversation_assignee_last", "conversation", ["assignee_id", "last_message_at", "id"])
    op.create_index("ix_conversation_bot_status", "conversation", ["status", "assignee_id"],
                    sqlite_where=BOTS, postgresql_where=BOTS)
    op.create_index("ix_conversation_bot_assignee", "conversation", ["assignee_id", "status"],
                    sqlite_where=BOTS, postgresql_where=BOTS)
    op.create_index("ix_conversation_bot_waiting", "conversation", ["waiting_since", "id"],
                    sqlite_where=BOTS, postgresql_where=BOTS)


def downgrade() -> None:
    op.drop_index("ix_conversation_bot_waiting", table_name="conversation")
    op.drop_index("ix_conversation_bot_assignee", table_name="conversation")
    op.drop_index("ix_conversation_bot_status", table_name="conversation")
    op.drop_index("ix_conversation_assignee_last", table_name="conversation")
    op.drop_index("ix_conversation_assignee_status_last", table_name="conversation")
    op.create_index("ix_conversation_assignee_status", "conversation", ["assignee_id", "status"])
    op.create_index("ix_conversation_bot_token_id", "conversation", ["bot_token_id"])
