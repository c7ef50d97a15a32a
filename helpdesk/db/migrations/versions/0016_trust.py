"""trust: two-step sign-in, devices seen, where audit rows came from, erased customers, spam
and the blocklist

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from helpdesk.db.types import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("agent") as batch:
        batch.add_column(sa.Column("totp_secret", S(length=64), nullable=True))
        batch.add_column(sa.Column("totp_enabled_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("recovery_codes", sa.JSON(), nullable=True))
    with op.batch_alter_table("agent_session") as batch:
        batch.add_column(sa.Column("last_seen_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("address", S(length=64), nullable=False, server_default=""))
    with op.batch_alter_table("audit_entry") as batch:
        batch.add_column(sa.Column("address", S(length=64), nullable=False, server_default=""))
    with op.batch_alter_table("customer") as batch:
        batch.add_column(sa.Column("erased_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("conversation") as batch:
        batch.add_column(sa.Column("spam_at", UTCDateTime(), nullable=True))
    op.create_table(
        "blocked_sender",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", S(length=16), nullable=False),
        sa.Column("value", S(length=254), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", S(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "value", name="uq_blocked_kind_value"),
    )


def downgrade() -> None:
    # SQLite drops these columns in place (3.35+): recreating conversation, which the full-text
    # index's triggers read, is refused while they hold it.
    op.drop_table("blocked_sender")
    with op.batch_alter_table("conversation", recreate="never") as batch:
        batch.drop_column("spam_at")
    with op.batch_alter_table("customer", recreate="never") as batch:
        batch.drop_column("erased_at")
    with op.batch_alter_table("audit_entry", recreate="never") as batch:
        batch.drop_column("address")
    with op.batch_alter_table("agent_session", recreate="never") as batch:
        batch.drop_column("address")
        batch.drop_column("last_seen_at")
    with op.batch_alter_table("agent", recreate="never") as batch:
        batch.drop_column("recovery_codes")
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_enabled_at")
        batch.drop_column("totp_secret")
