"""What every part of the conversation services shares: limits, the customer link's
token, the conversation's state as one row, and system events in the thread.

Conversation writes use SQLAlchemy Core on the write transaction's connection: one
short statement per change, and the same row shape whoever changes a conversation
(intake, an agent, a job), which is what the status machine works on."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import datetime

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.engine import Connection

from helpdesk.models import EVENT, OUT, Agent, Conversation, Message
from helpdesk.services.base import Actor, Service, sha256_hex
from helpdesk.services.customers import CustomerProfile, customer_display_name
from helpdesk.services.errors import NotFound
from helpdesk.services.sla import Clocks, Due, SlaService

MAX_BODY = 100_000
MAX_SUBJECT = 300
MAX_LIST = 100

CONVERSATION = Conversation.__table__  # type: ignore[attr-defined]
MESSAGE = Message.__table__  # type: ignore[attr-defined]

# The columns a change of state reads: status, waiting, counters and the SLA clocks.
STATE_COLUMNS = (CONVERSATION.c.id, CONVERSATION.c.customer_id, CONVERSATION.c.status, CONVERSATION.c.priority,
                 CONVERSATION.c.assignee_id, CONVERSATION.c.channel, CONVERSATION.c.subject,
                 CONVERSATION.c.waiting_since, CONVERSATION.c.public_token, CONVERSATION.c.reopen_count,
                 CONVERSATION.c.first_reply_at, CONVERSATION.c.snoozed_until, CONVERSATION.c.resolved_at,
                 *[CONVERSATION.c[f.name] for f in dataclass_fields(Clocks)])
# Built once: hot paths only bind values.
_STATE_BY_ID = select(*STATE_COLUMNS).where(CONVERSATION.c.id == bindparam("b_id"))
STATE_BY_TOKEN = select(*STATE_COLUMNS).where(CONVERSATION.c.public_token_digest == bindparam("b_digest"))
UPDATE_CONVERSATION = update(CONVERSATION).where(CONVERSATION.c.id == bindparam("b_id"))
INSERT_MESSAGE = insert(MESSAGE)


def new_public_token() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits


def public_token_digest(token: str) -> str:
    return sha256_hex(token)


def token_matches(stored: str, given: str) -> bool:
    """Constant time: a near miss takes as long as a far one."""
    return hmac.compare_digest(stored.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass"))


def preview_of(body: str) -> str:
    return " ".join(body.split())[:200]


def fmt_time(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


def load_state(conn: Connection, conversation_id: int) -> Row:
    """The conversation's state row inside a write transaction, or NotFound."""
    row = conn.execute(_STATE_BY_ID, {"b_id": conversation_id}).first()
    if row is None:
        raise NotFound(f"conversation {conversation_id} not found")
    return row


def insert_event(conn: Connection, conversation_id: int, now: datetime, text: str, actor: Actor,
                 **meta: object) -> int:
    """A system event in the thread ("Resolved by Ann"); `meta` says what happened for machines."""
    return conn.execute(INSERT_MESSAGE, {"conversation_id": conversation_id, "direction": OUT, "kind": EVENT,
                                         "author_agent_id": actor.agent_id, "channel": "system", "body": text,
                                         "meta": meta, "created_at": now}).inserted_primary_key[0]


def actor_words(actor: Actor) -> str:
    return actor.name or actor.role


@dataclass
class ConversationDetail:
    conversation: Conversation
    customer: CustomerProfile
    messages: list[Message]
    tags: list[str]
    assignee: Agent | None
    agents: dict[int, Agent] = field(default_factory=dict)  # authors of messages
    due: Due | None = None  # the next response-time deadline while it waits on the team

    @property
    def customer_name(self) -> str:
        return customer_display_name(self.customer)


class ConversationBase(Service):
    def __init__(self, db, clock, settings, sla: SlaService | None = None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(db, clock, settings)
        self.sla = sla or SlaService(db, clock, settings)
