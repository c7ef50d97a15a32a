"""mail for a mention to an agent who is away, when they want it

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

from helpdesk.db.types import UTCDateTime

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("agent", sa.Column("mention_mail", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("mention", sa.Column("mail_state", sa.String(length=16), nullable=True))
    op.add_column("mention", sa.Column("mail_tries", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("mention", sa.Column("mail_next_at", UTCDateTime(), nullable=True))
    op.add_column("mention", sa.Column("mail_error", sa.String(length=300), nullable=True))
    # The sender asks for the mentions whose mail is owed: a handful among all of them.
    op.create_index("ix_mention_mail_state", "mention", ["mail_state"])


def downgrade() -> None:
    op.drop_index("ix_mention_mail_state", table_name="mention")
    with op.batch_alter_table("mention", recreate="never") as batch:
        for column in ("mail_error", "mail_next_at", "mail_tries", "mail_state"):
            batch.drop_column(column)
    with op.batch_alter_table("agent", recreate="never") as batch:
        batch.drop_column("mention_mail")
