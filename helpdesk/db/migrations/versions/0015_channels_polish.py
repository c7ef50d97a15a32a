"""channels polish: a bot token's name for customers, replies filed in the mailbox's Sent
folder, when a channel's last webhook arrived

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from helpdesk.db.types import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("api_token") as batch:
        # What customers see as the author of a token's replies ("Larsen Bikes assistant").
        batch.add_column(sa.Column("display_name", S(length=100), nullable=False, server_default=""))
    with op.batch_alter_table("mailbox") as batch:
        # "" finds the folder marked \Sent; "-" files no copies.
        batch.add_column(sa.Column("sent_folder", S(length=200), nullable=False, server_default=""))
    with op.batch_alter_table("delivery") as batch:
        # A sent mail's copy in the Sent folder: "" (none owed: replies sent before this), pending, done.
        batch.add_column(sa.Column("copy_state", S(length=16), nullable=False, server_default=""))
    with op.batch_alter_table("channel") as batch:
        batch.add_column(sa.Column("last_webhook_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channel") as batch:
        batch.drop_column("last_webhook_at")
    with op.batch_alter_table("delivery") as batch:
        batch.drop_column("copy_state")
    with op.batch_alter_table("mailbox") as batch:
        batch.drop_column("sent_folder")
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("display_name")
