"""automation: rules, the events they react to, what they did; agents' availability

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from helpdesk.db.types import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.add_column("agent", sa.Column("away", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("agent", sa.Column("hours", sa.JSON(), nullable=True))
    op.create_table(
        "automation_rule",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", S(length=64), nullable=False, unique=True),
        sa.Column("title", S(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("trigger", S(length=32), nullable=False),
        sa.Column("hours", sa.Float(), nullable=True),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("ready_made", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("last_run_at", UTCDateTime(), nullable=True),
        sa.Column("last_outcome", S(length=16), nullable=False),
        sa.Column("last_detail", S(length=500), nullable=False),
        sa.Column("last_error", S(length=500), nullable=False),
        sa.Column("last_error_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "automation_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", S(length=200), nullable=False),
        sa.Column("type", S(length=32), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("processed_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("key", name="uq_automation_event_key"),
    )
    op.create_index("ix_automation_event_pending", "automation_event", ["processed_at", "id"])
    op.create_table(
        "automation_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("rule_id", sa.Integer(), sa.ForeignKey("automation_rule.id", ondelete="CASCADE"), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("outcome", S(length=16), nullable=False),
        sa.Column("detail", S(length=500), nullable=False),
        sa.Column("replied_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("rule_id", "event_id", name="uq_automation_run_once"),
    )
    op.create_index("ix_automation_run_rule", "automation_run", ["rule_id", "id"])
    op.create_index("ix_automation_run_replies", "automation_run", ["conversation_id", "replied_at"])
    op.create_index("ix_automation_run_customer_replies", "automation_run", ["customer_id", "replied_at"])


def downgrade() -> None:
    op.drop_table("automation_run")
    op.drop_table("automation_event")
    op.drop_table("automation_rule")
    op.drop_column("agent", "hours")  # plain: a batch copy would drop the FTS triggers
    op.drop_column("agent", "away")
