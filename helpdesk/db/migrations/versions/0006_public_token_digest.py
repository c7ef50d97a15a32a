"""customer links are looked up by a digest of their token

A conversation is found from its customer link by the SHA-256 of the token, not by the
token itself, and the token is then compared in constant time: how long a lookup takes
says nothing about how close a guess was. Existing conversations get their digest here.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""
import hashlib

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    # Plain ALTER TABLE (no batch copy): recreating the table would drop its FTS triggers.
    op.add_column("conversation", sa.Column("public_token_digest", sqlmodel.sql.sqltypes.AutoString(length=64),
                                            nullable=True))
    bind = op.get_bind()
    conversation = sa.table("conversation", sa.column("id", sa.Integer), sa.column("public_token", sa.String),
                            sa.column("public_token_digest", sa.String))
    last = 0
    while True:
        rows = bind.execute(sa.select(conversation.c.id, conversation.c.public_token)
                            .where(conversation.c.id > last).order_by(conversation.c.id).limit(BATCH)).all()
        if not rows:
            break
        bind.execute(conversation.update().where(conversation.c.id == sa.bindparam("b_id"))
                     .values(public_token_digest=sa.bindparam("b_digest")),
                     [{"b_id": r.id, "b_digest": hashlib.sha256(r.public_token.encode()).hexdigest()} for r in rows])
        last = rows[-1].id
    op.create_index("ix_conversation_public_token_digest", "conversation", ["public_token_digest"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_conversation_public_token_digest", table_name="conversation")
    op.drop_column("conversation", "public_token_digest")
