"""canned replies of one agent's own, beside the team's

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("canned_reply", sa.Column("owner_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("canned_reply", recreate="never") as batch:
        batch.drop_column("owner_id")
