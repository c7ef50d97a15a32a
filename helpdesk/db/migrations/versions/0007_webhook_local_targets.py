"""webhooks may post to this computer or the LAN only when the admin allows it

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Receivers added before this rule existed keep working: they were chosen by an admin.
    op.add_column("webhook", sa.Column("allow_local", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("webhook") as batch:
        batch.drop_column("allow_local")
