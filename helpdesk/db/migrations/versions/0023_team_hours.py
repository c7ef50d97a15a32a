"""a team's own business hours and response targets

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("team", sa.Column("hours", sa.JSON(), nullable=True))
    op.add_column("team", sa.Column("targets", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("team", recreate="never") as batch:
        batch.drop_column("targets")
        batch.drop_column("hours")
