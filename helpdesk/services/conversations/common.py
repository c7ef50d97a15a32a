"""What every part of the conversation services shares: limits, the customer link's
token, the conversation's state as one row, and system events in the thread.

Conversation writes use SQLAlchemy Core on the write transaction's connection: one
short statement per change, and the same row shape whoever changes a conversation
(intake, an agent, a job), which is what the status machine works on."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from dataclasses import fields as dataclass_fields
from datetime import datetime

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.engine import Connection

from helpdesk.db.direct import prepared
from helpdesk.models import EMAIL, EXTERNAL_ID, IN, PHONE, Agent, Attachment, Conversation, Message
from helpdesk.models.tables import CONVERSATIONS as CONVERSATION, TEAMS
from helpdesk.services.blocklist import Blocklist
from helpdesk.services.base import Actor, Service, sha256_hex
from helpdesk.services.customers import CustomerProfile, customer_display_name, name_and_identifiers
from helpdesk.services.deliveries import DeliveryService, DeliveryState
from helpdesk.services.errors import NotFound
from helpdesk.services.files import FileService
from helpdesk.services.links import Links
from helpdesk.services.sla import Clocks, Due, SlaService

if TYPE_CHECKING:  # for annotations only: the container wires these services together
    from helpdesk.clock import Clock
    from helpdesk.config import Settings
    from helpdesk.db import Database, Transaction
    from helpdesk.services.conversations.intake import IntakeResult
    from helpdesk.services.files import StagedFile
    from sqlmodel import Session

MAX_BODY = 100_000
MAX_SUBJECT = 300
MAX_LIST = 100


# The columns a change of state reads: status, waiting, counters and the SLA clocks.
STATE_COLUMNS = (CONVERSATION.c.id, CONVERSATION.c.customer_id, CONVERSATION.c.status, CONVERSATION.c.priority,
                 CONVERSATION.c.assignee_id, CONVERSATION.c.team_id, CONVERSATION.c.bot_token_id, CONVERSATION.c.channel,
                 CONVERSATION.c.subject,
                 CONVERSATION.c.waiting_since, CONVERSATION.c.public_token, CONVERSATION.c.reopen_count,
                 CONVERSATION.c.first_reply_at, CONVERSATION.c.snoozed_until, CONVERSATION.c.resolved_at,
                 *[CONVERSATION.c[f.name] for f in dataclass_fields(Clocks)])
# A customer as a message's webhook payload names them: their name, their first identifier of each kind.
Sender = tuple[str, dict[str, str]]
# Built once: hot paths only bind values.
_STATE_BY_ID = prepared(select(*STATE_COLUMNS).where(CONVERSATION.c.id == bindparam("b_id")))
STATE_BY_TOKEN = prepared(select(*STATE_COLUMNS).where(CONVERSATION.c.public_token_digest == bindparam("b_digest")))
UPDATE_CONVERSATION = prepared(update(CONVERSATION).where(CONVERSATION.c.id == bindparam("b_id")))
_TEAM_NAME = prepared(select(TEAMS.c.name).where(TEAMS.c.id == bindparam("b_id")))


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


def load_state(conn: Connection, conversation_id: int) -> Row[Any]:
    """The conversation's state row inside a write transaction, or NotFound."""
    row = conn.execute(_STATE_BY_ID, {"b_id": conversation_id}).first()
    if row is None:
        raise NotFound(f"conversation {conversation_id} not found")
    return row


def follow_merges(conn: Connection, conversation_id: int) -> int:
    """Where a conversation's messages are now: itself, or the one it was merged into."""
    for _ in range(20):
        into = conn.execute(select(CONVERSATION.c.merged_into_id).where(CONVERSATION.c.id == conversation_id)).scalar()
        if into is None:
            return conversation_id
        conversation_id = into
    return conversation_id


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
    bots: dict[int, str] = field(default_factory=dict)  # API token id -> name, for bots' messages
    bot_display: dict[int, str] = field(default_factory=dict)  # API token id -> the name customers see ("" none)
    attachments: dict[int, list[Attachment]] = field(default_factory=dict)  # message id -> its files
    deliveries: dict[int, DeliveryState] = field(default_factory=dict)  # public reply id -> how it left
    payments: dict[int, Any] = field(default_factory=dict)  # a payment card's message id -> its PaymentCard

    @property
    def customer_name(self) -> str:
        return customer_display_name(self.customer)

    def author_name(self, message: Message) -> str:
        """Who wrote a message, as the team and the customer see it."""
        if message.direction == IN:
            return self.customer_name
        if message.author_token_id:
            return self.bots.get(message.author_token_id, "Bot")
        if message.meta and message.meta.get("rule_title"):  # an automation rule's reply or note
            return f"Rule '{message.meta['rule_title']}'"
        agent = self.agents.get(message.author_agent_id) if message.author_agent_id else None
        return agent.name if agent else "Support"

    def public_author(self, message: Message, team: str) -> str:
        """Who wrote a message, as the customer sees it: a person's name; for a token's replies its
        display name or else the team's (a token's own name, like "uxr", is for the team only)."""
        if message.direction != IN and message.author_token_id:
            return self.bot_display.get(message.author_token_id) or team
        if message.direction != IN and message.meta and message.meta.get("rule_title"):
            return team  # an automation rule writes for the team
        return self.author_name(message)


@dataclass(frozen=True)
class Written:
    """What a reply or note produced: its id, the conversation's status after it, and for a
    public reply, how it leaves over the conversation's channel."""

    message_id: int
    conversation_status: str
    delivery: DeliveryState | None = None


class ConversationBase(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings, sla: SlaService | None = None,
                 files: FileService | None = None, deliveries: DeliveryService | None = None,
                 links: Links | None = None, blocklist: Any = None) -> None:
        super().__init__(db, clock, settings)
        self.blocklist = blocklist or Blocklist(db, clock, settings)
        self.sla = sla or SlaService(db, clock, settings)
        self.files = files or FileService(db, clock, settings)
        self.deliveries = deliveries or DeliveryService(db, clock, settings)
        self.links = links or Links(settings)

    # The parts call each other: declared here, answered by the part named.
    def get_row(self, conversation_id: int) -> Conversation:
        """The conversation's row (queries.py)."""
        raise NotImplementedError

    @staticmethod
    def _by_token(s: Session, token: str) -> Conversation | None:
        """The conversation a customer link names (queries.py)."""
        raise NotImplementedError

    def spam_reason(self, conn: Connection, state: Row[Any] | None, customer_id: int, flagged: str) -> str:
        """Why a customer message goes to Spam (spam.py)."""
        raise NotImplementedError

    def _append_spam(self, tx: Transaction, conn: Connection, state: Row[Any] | None, customer_id: int,
                     clean: dict[str, Any], now: datetime, files: tuple[StagedFile, ...],
                     meta: dict[str, Any] | None, reason: str) -> IntakeResult:
        """A customer message kept in Spam (spam.py)."""
        raise NotImplementedError

    def handoff_settings(self) -> tuple[tuple[str, ...], int]:
        """The words that ask for a person, the minutes a bot may keep a customer (handoff.py)."""
        raise NotImplementedError

    def hand_over(self, tx: Transaction, conn: Any, state: Any, actor: Actor, reason: str, now: datetime,
                  text: str = "") -> None:
        """A bot's conversation opened for people (handoff.py)."""
        raise NotImplementedError

    def message_payload(self, conn: Connection, state: Any, message_id: int, body: str, direction: str,
                        author: dict[str, Any], attachments: list[Attachment], status: str, now: datetime,
                        with_link: bool = False, sender: Sender | None = None) -> dict[str, Any]:
        """What webhooks and the events API say about a message (customer or team). The customer's
        link (their credential) only where the webhook contract has always carried it: replies.
        `sender`: the customer's name and identifiers, if the caller read them in this transaction."""
        name, ids = sender if sender is not None else name_and_identifiers(conn, state.customer_id)
        team_id = getattr(state, "team_id", None)
        team = conn.execute(_TEAM_NAME, {"b_id": team_id}).scalar() if team_id is not None else None
        return {"conversation_id": state.id, "message_id": message_id, "direction": direction, "body": body,
                "team": team,
                "created_at": now.isoformat(), "author": author, "conversation_status": status,
                **({"public_token": state.public_token} if with_link else {}), "channel": state.channel,
                "bot_token_id": getattr(state, "bot_token_id", None),
                "attachments": self.files.described(attachments, self.links.base_url()),
                "customer": {"id": state.customer_id, "name": name, "email": ids.get(EMAIL),
                             "phone": ids.get(PHONE), "external_id": ids.get(EXTERNAL_ID)}}
