"""teams: named parts of the shop with their own queues, members and a lead; a conversation's
team, and the team new conversations from a mailbox, a channel or an intake token go to

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from helpdesk.db.types import UTCDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString
DEFAULTS = ("mailbox", "channel", "api_token")  # where new conversations' team comes from


def upgrade() -> None:
    op.create_table(
        "team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", S(length=60), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["agent.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "team_member",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"]),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"]),
        sa.PrimaryKeyConstraint("team_id", "agent_id"),
    )
    op.create_index("ix_team_member_agent_id", "team_member", ["agent_id"])
    # A plain column, no foreign key: SQLite would rebuild each table (and drop its triggers) to
    # add one; services/teams.py clears a removed team's id.
    for table in ("conversation", *DEFAULTS):
        op.add_column(table, sa.Column("team_id", sa.Integer(), nullable=True))
    op.create_index("ix_conversation_team_status_last", "conversation", ["team_id", "status", "last_message_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_conversation_team_status_last", table_name="conversation")
    for table in ("conversation", *DEFAULTS):
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.drop_column("team_id")
    op.drop_index("ix_team_member_agent_id", table_name="team_member")
    op.drop_table("team_member")
    op.drop_table("team")
