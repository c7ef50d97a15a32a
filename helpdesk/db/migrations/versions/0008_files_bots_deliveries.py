"""attachments, bot tokens with scopes, bot-first conversations, deliveries

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from helpdesk.db.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE (no batch copy): recreating message or conversation would drop their
    # FTS triggers. Foreign keys on added columns are declared in the models; SQLite cannot
    # add a constraint to an existing table, and nothing deletes tokens (they are revoked).
    op.add_column("message", sa.Column("author_token_id", sa.Integer(), nullable=True))
    op.add_column("conversation", sa.Column("bot_token_id", sa.Integer(), nullable=True))
    op.create_index("ix_conversation_bot_token_id", "conversation", ["bot_token_id"])
    op.add_column("api_token", sa.Column("scopes", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False,
                                         server_default="intake,read"))
    op.add_column("api_token", sa.Column("first_responder", sqlmodel.sql.sqltypes.AutoString(length=32),
                                         nullable=True))
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("message.id", ondelete="CASCADE"), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_attachment_message_id", "attachment", ["message_id"])
    op.create_index("ix_attachment_sha256", "attachment", ["sha256"])
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("message.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_delivery_due_status", "delivery", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("delivery")
    op.drop_table("attachment")
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("first_responder")
        batch.drop_column("scopes")
    op.drop_index("ix_conversation_bot_token_id", table_name="conversation")
    op.drop_column("conversation", "bot_token_id")
    op.drop_column("message", "author_token_id")
