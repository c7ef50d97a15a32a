"""Writing down what rules may react to, inside the transaction of what happened: a customer
message, a reply, a status change, a missed target. Kept apart from the rule engine so the
conversation services can call it without importing the engine (which calls them)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from helpdesk.events import AUTOMATION_QUEUED
from helpdesk.db.direct import prepared
from helpdesk.models.tables import AUTOMATION_EVENTS as EVENT

_INSERT = prepared(insert(EVENT))


def record(tx: Any, conn: Connection, type: str, conversation_id: int, at: datetime, *,
           message_id: int | None = None, key: str | None = None, **data: Any) -> None:
    """One event for the rules. What happens inside a transaction happens once, so its key is
    random; the time scan gives its own (the same wait twice is one event)."""
    conn.execute(_INSERT, {"key": key or f"{type}:{uuid.uuid4().hex}", "type": type,
                           "conversation_id": conversation_id, "message_id": message_id, "at": at, "data": data,
                           "processed_at": None})
    tx.emit(AUTOMATION_QUEUED, conversation_id)
