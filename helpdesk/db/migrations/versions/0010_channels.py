"""messaging channels (SMS phone, Telegram, Twilio), their records, SMS opt-out

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from helpdesk.db.types import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.add_column("customer", sa.Column("sms_opt_out_at", UTCDateTime(), nullable=True))
    op.create_table(
        "channel",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", S(length=32), nullable=False),
        sa.Column("name", S(length=100), nullable=False, unique=True),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("secret_store", S(length=16), nullable=False),
        sa.Column("secret", S(length=2000), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_contact_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", S(length=500), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "channel_record",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel_id", sa.Integer(), sa.ForeignKey("channel.id", ondelete="SET NULL"), nullable=True),
        sa.Column("key", S(length=255), nullable=False),
        sa.Column("status", S(length=16), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("key", name="uq_channel_record_key"),
    )
    op.create_index("ix_channel_record_message", "channel_record", ["message_id"])


def downgrade() -> None:
    op.drop_table("channel_record")
    op.drop_table("channel")
    op.drop_column("customer", "sms_opt_out_at")  # plain: a batch copy would drop the FTS triggers
