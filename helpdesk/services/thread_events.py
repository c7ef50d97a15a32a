"""System events in a conversation's thread ("Resolved by Ann", "Linked to Jane Doe"): one
message row each, written in the caller's transaction. Its own module so that services below
the conversations package (customers) can write one without importing it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from helpdesk.db.direct import prepared
from helpdesk.models import EVENT, OUT
from helpdesk.models.tables import MESSAGES
from helpdesk.services.base import Actor, new_id

INSERT_MESSAGE = prepared(insert(MESSAGES))


def insert_event(conn: Connection, conversation_id: int, now: datetime, text: str, actor: Actor,
                 **meta: object) -> int:
    """A system event in the thread ("Resolved by Ann"); `meta` says what happened for machines."""
    return new_id(conn.execute(INSERT_MESSAGE, {"conversation_id": conversation_id, "direction": OUT, "kind": EVENT,
                                         "author_agent_id": actor.agent_id, "author_token_id": actor.token_id,
                                         "channel": "system", "body": text, "meta": meta,
                                         "created_at": now}))
