"""What a rule's conditions look at for one event, read lazily inside the engine's write: each
fact costs a query only when some condition asks for it."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection

from helpdesk.models import (EMAIL, IN, REPLY)
from helpdesk.models.tables import (AGENTS as AGENT, CONVERSATIONS as C, CONVERSATION_TAGS as CT,
                                   CUSTOMER_IDENTIFIERS as IDS, MAILBOXES as MAILBOX, MAIL_RECORDS as RECORD,
                                   MESSAGES as M, TAGS as TAG, TEAMS)
from helpdesk.services.calendar import BusinessCalendar
from helpdesk.services.sla import SlaRules

_MESSAGE_COLUMNS = (M.c.id, M.c.direction, M.c.kind, M.c.body, M.c.meta, M.c.channel, M.c.created_at)
# Built once: a pass asks these for every event.
_MESSAGE = select(*_MESSAGE_COLUMNS).where(M.c.id == bindparam("b_id"))
_TAGS = select(TAG.c.name).join(CT, CT.c.tag_id == TAG.c.id).where(CT.c.conversation_id == bindparam("b_id"))
_DOMAINS = select(IDS.c.value).where(IDS.c.customer_id == bindparam("b_id"), IDS.c.kind == EMAIL)


class Facts:
    """One event's conversation (its state row, reloaded after each rule), message, customer."""

    def __init__(self, conn: Connection, state: Any, at: datetime, message_id: int | None, data: dict[str, Any],
                 rules: SlaRules) -> None:
        self.conn = conn
        self.state = state
        self.at = at
        self.message_id = message_id
        self.data = data
        self.rules = rules

    def refresh(self, state: Any, tags_too: bool = False) -> None:
        """The conversation after a rule's actions: the next rule sees what this one did (the tag
        actions keep `tags` up to date themselves; a rule rolled back needs them read again)."""
        self.state = state
        self.__dict__.pop("assignee_email", None)
        if tags_too:
            self.__dict__.pop("tags", None)

    @cached_property
    def message(self) -> Any:
        """The customer message that set it off, or else the conversation's latest one (None: none yet)."""
        if self.message_id is not None:
            row = self.conn.execute(_MESSAGE, {"b_id": self.message_id}).first()
            if row is not None and row.direction == IN and row.kind == REPLY:
                return row
        return self.conn.execute(select(*_MESSAGE_COLUMNS).where(
            M.c.conversation_id == self.state.id, M.c.direction == IN, M.c.kind == REPLY)
            .order_by(M.c.id.desc()).limit(1)).first()

    @property
    def text(self) -> str:
        return (self.message.body if self.message is not None else "") or ""

    @property
    def choice(self) -> str:
        """The choice the customer's message picked from the team's last reply ("" none)."""
        meta = (self.message.meta if self.message is not None else None) or {}
        return str(meta.get("choice") or "")

    @property
    def channel(self) -> str:
        return (self.message.channel if self.message is not None else self.state.channel) or ""

    @property
    def automatic(self) -> str:
        """Why the customer's message was written by a machine (an auto-reply, a list), or ''."""
        meta = (self.message.meta if self.message is not None else None) or {}
        if meta.get("automatic"):
            return str(meta["automatic"])
        return "it came from a mailing list" if meta.get("list") else ""

    @cached_property
    def first(self) -> bool:
        """The message is the conversation's first from the customer."""
        if "first" in self.data:
            return bool(self.data["first"])
        if self.message is None:
            return False
        first = self.conn.execute(select(func.min(M.c.id)).where(
            M.c.conversation_id == self.state.id, M.c.direction == IN, M.c.kind == REPLY)).scalar()
        return bool(first == self.message.id)

    @cached_property
    def tags(self) -> set[str]:
        return set(self.conn.execute(_TAGS, {"b_id": self.state.id}).scalars())

    @cached_property
    def customer_tags(self) -> set[str]:
        """A customer's tags are the tags on any of their conversations (tag one 'vip', and the next
        conversation of theirs matches 'customer tag vip')."""
        return set(self.conn.execute(select(TAG.c.name).join(CT, CT.c.tag_id == TAG.c.id)
                                     .join(C, C.c.id == CT.c.conversation_id)
                                     .where(C.c.customer_id == self.state.customer_id)).scalars())

    @cached_property
    def customer_domains(self) -> set[str]:
        return {v.rpartition("@")[2] for v in self.conn.execute(_DOMAINS, {"b_id": self.state.customer_id}).scalars()}

    @cached_property
    def mailbox(self) -> str:
        """The mailbox (by name, lower case) the customer's mail came to; '' for other channels."""
        if self.message is None:
            return ""
        name = self.conn.execute(select(MAILBOX.c.name).join(RECORD, RECORD.c.mailbox_id == MAILBOX.c.id)
                                 .where(RECORD.c.message_id == self.message.id).limit(1)).scalar()
        return (name or "").lower()

    @cached_property
    def team_name(self) -> str:
        """The conversation's team's name, lower case ('' for none)."""
        if self.state.team_id is None:
            return ""
        return (self.conn.execute(select(TEAMS.c.name).where(TEAMS.c.id == self.state.team_id)).scalar() or "").lower()

    @cached_property
    def assignee_email(self) -> str:
        if self.state.assignee_id is None:
            return ""
        return self.conn.execute(select(AGENT.c.email).where(AGENT.c.id == self.state.assignee_id)).scalar() or ""

    @property
    def calendar(self) -> BusinessCalendar:
        """The business hours the conversation's team keeps (the shop's unless it has its own)."""
        return self.rules.calendar_of(self.state.team_id)

    @property
    def inside_hours(self) -> bool:
        return self.calendar.is_working(self.at)

