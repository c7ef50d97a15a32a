"""assist: which canned reply was picked where, and every use of a language model

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from helpdesk.db.types import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "canned_use",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("canned_id", sa.Integer(), sa.ForeignKey("canned_reply.id", ondelete="CASCADE"), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_canned_use_conversation", "canned_use", ["conversation_id"])
    op.create_index("ix_canned_use_canned", "canned_use", ["canned_id"])
    op.create_table(
        "assist_use",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", S(length=16), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("model", S(length=200), nullable=False),
        sa.Column("chars_sent", sa.Integer(), nullable=False),
        sa.Column("chars_received", sa.Integer(), nullable=False),
        sa.Column("outcome", S(length=200), nullable=False),
    )
    op.create_index("ix_assist_use_at", "assist_use", ["at"])


def downgrade() -> None:
    op.drop_table("assist_use")
    op.drop_table("canned_use")
