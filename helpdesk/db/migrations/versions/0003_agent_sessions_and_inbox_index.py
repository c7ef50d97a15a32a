"""agent sessions and inbox index

Signed-in devices (so "remember this device" survives a restart) and indexes for
inbox pages ordered by last activity (within a status, and across all).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import helpdesk.db.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", helpdesk.db.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", helpdesk.db.types.UTCDateTime(), nullable=False),
        sa.Column("remember", sa.Boolean(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("agent_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_session_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_agent_session_expires_at"), ["expires_at"], unique=False)
    # Plain CREATE INDEX (no batch copy): recreating the table would drop its FTS triggers.
    op.create_index("ix_conversation_status_last", "conversation", ["status", "last_message_at", "id"], unique=False)
    op.create_index("ix_conversation_last", "conversation", ["last_message_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_last")
        batch_op.drop_index("ix_conversation_status_last")
    op.drop_table("agent_session")
