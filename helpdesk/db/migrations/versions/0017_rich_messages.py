"""rich messages: payment requests, and how long a voice note or video plays

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from helpdesk.db.types import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("attachment") as batch:
        batch.add_column(sa.Column("duration_ms", sa.Integer(), nullable=True))
    op.create_table(
        "payment_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", S(length=3), nullable=False),
        sa.Column("description", S(length=140), nullable=False),
        sa.Column("reference", S(length=25), nullable=False),
        sa.Column("status", S(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", S(length=120), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("paid_at", UTCDateTime(), nullable=True),
        sa.Column("paid_via", S(length=16), nullable=False),
        sa.Column("closed_by", S(length=120), nullable=False),
        sa.Column("stripe_state", S(length=16), nullable=False),
        sa.Column("stripe_session_id", S(length=255), nullable=False),
        sa.Column("stripe_url", S(length=1000), nullable=False),
        sa.Column("stripe_attempts", sa.Integer(), nullable=False),
        sa.Column("stripe_next_at", UTCDateTime(), nullable=True),
        sa.Column("stripe_error", S(length=500), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversation.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_payment_conversation", "payment_request", ["conversation_id", "id"])
    op.create_index("ix_payment_status_expires", "payment_request", ["status", "expires_at"])
    op.create_index("ix_payment_stripe_state", "payment_request", ["stripe_state", "stripe_next_at"])
    op.create_index("ix_payment_request_reference", "payment_request", ["reference"])


def downgrade() -> None:
    op.drop_table("payment_request")
    with op.batch_alter_table("attachment", recreate="never") as batch:
        batch.drop_column("duration_ms")
