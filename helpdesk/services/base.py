"""What every service gets: the database, the clock and the settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection
from sqlmodel import Session

from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database
from helpdesk.models import AuditEntry

AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Actor:
    """Who does something: an agent, an API token, the customer, or the system."""

    type: str  # agent | api | customer | system
    id: int | None = None
    name: str = ""

    @classmethod
    def system(cls) -> "Actor":
        return cls("system", None, "Helpdesk")

    @classmethod
    def customer(cls, customer_id: int | None = None) -> "Actor":
        return cls("customer", customer_id, "Customer")

    @property
    def agent_id(self) -> int | None:
        return self.id if self.type == "agent" else None


class Service:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings

    def now(self) -> datetime:
        return self.clock.now()


def audit(executor: Session | Connection, at: datetime, actor: Actor, action: str,
          conversation_id: int | None = None, **detail: Any) -> None:
    """One audit row, written in the caller's transaction (a Session or a Core Connection)."""
    executor.execute(insert(AUDIT).values(at=at, actor_type=actor.type, actor_id=actor.id, action=action,
                                          conversation_id=conversation_id, detail=detail or None))


def require_text(fields: dict[str, str], name: str, value: str | None, max_len: int,
                 required: bool = True) -> str:
    """Strip a text input, recording a readable problem in `fields` if it is unusable."""
    value = (value or "").strip()
    if required and not value:
        fields[name] = "must not be empty"
    elif len(value) > max_len:
        fields[name] = f"must be at most {max_len} characters"
    return value
