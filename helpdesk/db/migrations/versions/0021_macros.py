"""macros: a named list of actions run in one click on a conversation, shared or an agent's own

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from helpdesk.db.types import UTCDateTime

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "macro",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", S(length=80), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["agent.id"]),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("macro")
