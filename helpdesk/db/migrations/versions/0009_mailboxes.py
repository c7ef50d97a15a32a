"""mailboxes, the record of every mail taken from them, merged conversations

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from helpdesk.db.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.add_column("conversation", sa.Column("merged_into_id", sa.Integer(), nullable=True))
    op.create_index("ix_delivery_external", "delivery", ["channel", "external_id"])
    op.create_table(
        "mailbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", S(length=100), nullable=False, unique=True),
        sa.Column("address", S(length=254), nullable=False),
        sa.Column("imap_url", S(length=500), nullable=False),
        sa.Column("smtp_url", S(length=500), nullable=False),
        sa.Column("folder", S(length=200), nullable=False),
        sa.Column("poll_seconds", sa.Integer(), nullable=False),
        sa.Column("mark_read", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("secret_store", S(length=16), nullable=False),
        sa.Column("imap_secret", S(length=1000), nullable=False),
        sa.Column("smtp_secret", S(length=1000), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("last_fetch_at", UTCDateTime(), nullable=True),
        sa.Column("fetch_error", S(length=500), nullable=False),
        sa.Column("send_error", S(length=500), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "mail_record",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("mailbox_id", sa.Integer(), sa.ForeignKey("mailbox.id", ondelete="SET NULL"), nullable=True),
        sa.Column("mail_key", S(length=255), nullable=False),
        sa.Column("message_id_header", S(length=255), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=True),
        sa.Column("status", S(length=16), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("sender", S(length=254), nullable=False),
        sa.Column("subject", S(length=300), nullable=False),
        sa.Column("raw_sha256", S(length=64), nullable=False),
        sa.Column("full_text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("error", S(length=500), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("mail_key", name="uq_mail_record_key"),
    )
    op.create_index("ix_mail_record_message_id_header", "mail_record", ["message_id_header"])
    op.create_index("ix_mail_record_conversation", "mail_record", ["conversation_id"])
    op.create_index("ix_mail_record_message", "mail_record", ["message_id"])


def downgrade() -> None:
    op.drop_table("mail_record")
    op.drop_table("mailbox")
    op.drop_index("ix_delivery_external", table_name="delivery")
    op.drop_column("conversation", "merged_into_id")
