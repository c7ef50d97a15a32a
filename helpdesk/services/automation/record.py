"""Writing down what rules may react to, inside the transaction of what happened: a customer
message, a reply, a status change, a missed target. Kept apart from the rule engine so the
conversation services can call it without importing the engine (which calls them)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from helpdesk.events import AUTOMATION_QUEUED
from helpdesk.db.direct import prepared
from helpdesk.models.tables import AUTOMATION_EVENTS as EVENT, AUTOMATION_RULES as RULE

_INSERT = prepared(insert(EVENT))
# The triggers some enabled rule has: read once a group commit of customer messages (db/direct.py).
_ENABLED_TRIGGERS = prepared(select(RULE.c.trigger).where(RULE.c.enabled.is_(True)).distinct(), settings=True)


def record(tx: Any, conn: Connection, type: str, conversation_id: int, at: datetime, *,
           message_id: int | None = None, key: str | None = None, **data: Any) -> None:
    """One event for the rules, when an enabled rule can react to it: with no such rule, the rule
    engine would only mark it handled (most shops have no rule for most events, and every customer
    message would pay for a row and a pass). What happens inside a transaction happens once, so
    its key is random; the time scan gives its own (the same wait twice is one event)."""
    enabled = conn.execute(_ENABLED_TRIGGERS).scalars().all()
    # A first customer message is also "a conversation is created".
    if type not in enabled and not (type == "customer_message" and data.get("first")
                                    and "conversation_created" in enabled):
        return
    conn.execute(_INSERT, {"key": key or f"{type}:{uuid.uuid4().hex}", "type": type,
                           "conversation_id": conversation_id, "message_id": message_id, "at": at, "data": data,
                           "processed_at": None})
    tx.emit(AUTOMATION_QUEUED, conversation_id)
