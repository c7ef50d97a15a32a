"""Tables. Business rules live in services/, not here."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, BigInteger, Boolean, Column, Index, UniqueConstraint, false, text
from sqlmodel import Field, SQLModel

from helpdesk.db.types import UTCDateTime

# Conversation statuses
OPEN, PENDING, SNOOZED, RESOLVED = "open", "pending", "snoozed", "resolved"
STATUSES = (OPEN, PENDING, SNOOZED, RESOLVED)
# Out of every inbox view, the SLA clocks, automation and reports; only "Mark as spam" and a
# blocked sender put a conversation here, and only "Not spam" takes it out (migration 0016).
SPAM = "spam"
PRIORITIES = ("urgent", "high", "normal", "low")

# Message direction and kind
IN, OUT = "in", "out"
REPLY, NOTE, EVENT = "reply", "note", "event"

# Customer identifier kinds
EMAIL, PHONE, EXTERNAL_ID, TELEGRAM = "email", "phone", "external_id", "telegram"
IDENTIFIER_KINDS = (EMAIL, PHONE, EXTERNAL_ID, TELEGRAM)


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class Agent(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=120)
    password_hash: str = Field(max_length=255)
    role: str = Field(default="agent", max_length=16)  # admin | agent
    active: bool = Field(default=True)
    created_at: datetime = _ts()
    # Where the agent last was, so another device can resume there.
    last_conversation_id: Optional[int] = Field(default=None)
    # Availability for automatic assignment (migration 0011): away by choice, and away outside
    # working hours when `hours` is set ({"shop": true}: the shop's business hours; else a calendar).
    away: bool = Field(default=False)
    hours: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Two-step sign-in (migration 0016): the TOTP secret (base32), when it was confirmed, the last
    # time step a code was accepted for (a code is good once), and the unused recovery codes' digests.
    totp_secret: Optional[str] = Field(default=None, max_length=64)
    totp_enabled_at: Optional[datetime] = _ts(nullable=True)
    totp_last_step: Optional[int] = Field(default=None, sa_type=BigInteger)
    recovery_codes: Optional[list[Any]] = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Mail me a mention that finds me away (migration 0024; services/mentions.py).
    mention_mail: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))


class Customer(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(default="", max_length=200)
    # Identifiers joined into one line, kept by services for the full-text index.
    contact: str = Field(default="", max_length=2000)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    # The customer texted STOP: no more texts until they text START (migration 0010).
    sms_opt_out_at: Optional[datetime] = _ts(nullable=True)
    # Erased on request or by retention (migration 0016): no name, identifiers or words are left.
    erased_at: Optional[datetime] = _ts(nullable=True)


class CustomerIdentifier(SQLModel, table=True):
    """email (lower-cased), phone (E.164 where possible) or external id. The unique
    constraint is what guarantees one identifier never yields two customers."""

    __tablename__ = "customer_identifier"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_identifier_kind_value"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=16)
    value: str = Field(max_length=254)
    created_at: datetime = _ts()


BOT_ROWS = text("bot_token_id IS NOT NULL")


class Conversation(SQLModel, table=True):
    __table_args__ = (
        Index("ix_conversation_status_waiting", "status", "waiting_since", "id"),
        Index("ix_conversation_customer_last", "customer_id", "last_message_at"),
        # Mine and Unassigned, newest first, by status or any (migration 0014).
        Index("ix_conversation_assignee_status_last", "assignee_id", "status", "last_message_at", "id"),
        Index("ix_conversation_assignee_last", "assignee_id", "last_message_at", "id"),
        Index("ix_conversation_status_last", "status", "last_message_at", "id"),
        Index("ix_conversation_last", "last_message_at", "id"),
        Index("ix_conversation_created", "created_at"),
        # A team's views, newest first, by status or any (migration 0019).
        Index("ix_conversation_team_status_last", "team_id", "status", "last_message_at", "id"),
        Index("ix_conversation_public_token_digest", "public_token_digest", unique=True),
        # Bots' conversations, few: partial indexes, so that no index offers itself for "not a
        # bot's" (nearly every row; the planner took it for a selective lookup and sorted every
        # conversation), and the counts subtract the bots' from index-only counts (migration 0014).
        Index("ix_conversation_bot_status", "status", "assignee_id", sqlite_where=BOT_ROWS, postgresql_where=BOT_ROWS),
        Index("ix_conversation_bot_assignee", "assignee_id", "status", sqlite_where=BOT_ROWS, postgresql_where=BOT_ROWS),
        Index("ix_conversation_bot_waiting", "waiting_since", "id", sqlite_where=BOT_ROWS, postgresql_where=BOT_ROWS),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    subject: str = Field(default="", max_length=300)
    channel: str = Field(default="api", max_length=32)
    status: str = Field(default=OPEN, max_length=16)
    priority: str = Field(default="normal", max_length=16)
    assignee_id: Optional[int] = Field(default=None, foreign_key="agent.id")
    # Its team's queue (migration 0019): a team id, kept by services/teams.py (added to a table
    # that SQLite would have to rebuild for a foreign key, as bot_token_id).
    team_id: Optional[int] = Field(default=None)
    # Set while a bot answers first (the "Bot" view, no SLA clocks); cleared when it hands over.
    bot_token_id: Optional[int] = Field(default=None)  # an api_token id (see author_token_id)
    # The customer's own link: /c/<public_token>. 192 random bits.
    public_token: str = Field(max_length=64, unique=True)
    # Links are looked up by SHA-256(token), then compared in constant time (migration 0006).
    # Nullable only because SQLite cannot add a NOT NULL column; every row has one.
    public_token_digest: Optional[str] = Field(default=None, max_length=64)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    # Oldest customer message not yet answered by a public reply (None: nobody waits).
    waiting_since: Optional[datetime] = _ts(nullable=True)
    first_reply_at: Optional[datetime] = _ts(nullable=True)
    last_message_at: Optional[datetime] = _ts(nullable=True)
    last_customer_message_at: Optional[datetime] = _ts(nullable=True)
    snoozed_until: Optional[datetime] = _ts(nullable=True)
    resolved_at: Optional[datetime] = _ts(nullable=True)
    # Denormalised for the inbox so a page of rows is one indexed query.
    last_message_id: Optional[int] = Field(default=None)
    last_message_preview: str = Field(default="", max_length=200)
    reopen_count: int = Field(default=0)
    # SLA clocks (services/sla.py). A clock runs while resumed_at is set; elapsed holds the
    # business seconds of earlier open periods; due/risk are precomputed for indexed scans.
    response_target: Optional[str] = Field(default=None, max_length=16)  # first_response | next_response
    response_message_id: Optional[int] = Field(default=None)
    response_elapsed: int = Field(default=0)
    response_resumed_at: Optional[datetime] = _ts(nullable=True)
    response_due_at: Optional[datetime] = _ts(nullable=True, index=True)
    response_risk_at: Optional[datetime] = _ts(nullable=True)
    resolution_message_id: Optional[int] = Field(default=None)
    resolution_elapsed: int = Field(default=0)
    resolution_resumed_at: Optional[datetime] = _ts(nullable=True)
    resolution_due_at: Optional[datetime] = _ts(nullable=True, index=True)
    resolution_risk_at: Optional[datetime] = _ts(nullable=True)
    # Set when an agent merged this conversation into another: its messages moved there and
    # its links lead there (migration 0009).
    merged_into_id: Optional[int] = Field(default=None)
    # When it went to Spam (status "spam"), for erasing spam after SPAM_KEEP_DAYS (migration 0016).
    spam_at: Optional[datetime] = _ts(nullable=True)


class Message(SQLModel, table=True):
    __table_args__ = (Index("ix_message_conversation", "conversation_id", "id"),
                      Index("ix_message_created", "created_at"))

    id: Optional[int] = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", ondelete="CASCADE")
    direction: str = Field(max_length=3)  # in | out
    kind: str = Field(default=REPLY, max_length=8)  # reply | note | event
    author_agent_id: Optional[int] = Field(default=None, foreign_key="agent.id")
    # A bot's reply or note: the API token that wrote it (shown with the token's name). No
    # foreign key: SQLite cannot add one to an existing table, and tokens are only ever revoked.
    author_token_id: Optional[int] = Field(default=None)
    channel: str = Field(default="api", max_length=32)
    body: str
    # For system events: what happened, machine-readable ({"event": "assigned", ...}).
    meta: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = _ts()


class IdempotencyRecord(SQLModel, table=True):
    """Remembers what an intake request with an idempotency key produced."""

    __tablename__ = "idempotency_record"

    key: str = Field(primary_key=True, max_length=255)
    request_hash: str = Field(max_length=64)
    message_id: int = Field(foreign_key="message.id", ondelete="CASCADE")
    conversation_id: int
    customer_id: int
    created_at: datetime = _ts()


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    # SHA-256 of the token: tokens carry 256 random bits, so a slow hash adds nothing.
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)  # first characters, to tell tokens apart in lists
    created_at: datetime = _ts()
    last_used_at: Optional[datetime] = _ts(nullable=True)
    revoked_at: Optional[datetime] = _ts(nullable=True)
    # What the token may do: intake, read, reply, admin (comma separated).
    scopes: str = Field(default="intake,read", max_length=100)
    # A bot token answers new conversations of this channel first, before people.
    first_responder: Optional[str] = Field(default=None, max_length=32)
    # What customers see as the author of its replies; "" shows the team's name.
    display_name: str = Field(default="", max_length=100)
    # The team whose queue its intake's new conversations go to (migration 0019).
    team_id: Optional[int] = Field(default=None)  # a team id, as conversation.team_id


class Tag(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=50, unique=True)
    color: str = Field(default="", max_length=16)


class ConversationTag(SQLModel, table=True):
    __tablename__ = "conversation_tag"

    conversation_id: int = Field(foreign_key="conversation.id", primary_key=True, ondelete="CASCADE")
    tag_id: int = Field(foreign_key="tag.id", primary_key=True, index=True, ondelete="CASCADE")


class CannedReply(SQLModel, table=True):
    __tablename__ = "canned_reply"

    id: Optional[int] = Field(default=None, primary_key=True)
    title: str = Field(max_length=100, unique=True)
    body: str
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    # One agent's own (migration 0022; an agent id, as conversation.team_id); None: the team's.
    owner_id: Optional[int] = Field(default=None)


class Draft(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("agent_id", "conversation_id", name="uq_draft_agent_conversation"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    agent_id: int = Field(foreign_key="agent.id", ondelete="CASCADE")
    conversation_id: int = Field(foreign_key="conversation.id", ondelete="CASCADE")
    body: str = ""
    # The newest message the agent had seen when the draft was started: a customer
    # message newer than this means the reply may be answering an outdated thread.
    seen_message_id: Optional[int] = Field(default=None)
    updated_at: datetime = _ts()


class ConversationRead(SQLModel, table=True):
    """How far each agent has read each conversation (for the unread mark)."""

    __tablename__ = "conversation_read"

    agent_id: int = Field(foreign_key="agent.id", primary_key=True, ondelete="CASCADE")
    conversation_id: int = Field(foreign_key="conversation.id", primary_key=True, ondelete="CASCADE")
    last_read_message_id: int = 0


class AuditEntry(SQLModel, table=True):
    """Who changed what, when. Written in the same transaction as the change."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_conversation", "conversation_id", "id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = _ts(index=True)
    actor_type: str = Field(max_length=16)  # agent | api | customer | system
    actor_id: Optional[int] = Field(default=None)
    action: str = Field(max_length=64)
    conversation_id: Optional[int] = Field(default=None)
    detail: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Where it came from: the desktop window, a LAN browser's address, an API client's address.
    address: str = Field(default="", max_length=64)


class AgentSession(SQLModel, table=True):
    """A signed-in device. The token lives on the device (hashed here), so a
    "remember this device" sign-in survives a server restart."""

    __tablename__ = "agent_session"

    id: Optional[int] = Field(default=None, primary_key=True)
    agent_id: int = Field(foreign_key="agent.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _ts()
    expires_at: datetime = _ts(index=True)
    remember: bool = Field(default=False)
    client: str = Field(default="", max_length=300)  # IP and user agent, for the settings list
    # Seen in use (at most once a minute is written), for the devices list and the idle limit.
    last_seen_at: Optional[datetime] = _ts(nullable=True)
    address: str = Field(default="", max_length=64)  # the client's IP, or "the desktop window"


class BlockedSender(SQLModel, table=True):
    """A sender whose messages go straight to Spam: an email address, a whole domain, a phone
    number, a Telegram account or a website chat visitor."""

    __tablename__ = "blocked_sender"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_blocked_kind_value"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # email | domain | phone | telegram | visitor
    value: str = Field(max_length=254)
    created_at: datetime = _ts()
    created_by: str = Field(default="", max_length=120)  # who blocked it, as the list shows


class SlaPolicy(SQLModel, table=True):
    """Response-time targets for one priority, in minutes of business or clock time."""

    __tablename__ = "sla_policy"

    priority: str = Field(primary_key=True, max_length=16)
    first_response_minutes: int
    next_response_minutes: int
    resolution_minutes: int
    business_hours: bool = True


class SlaBreach(SQLModel, table=True):
    """A target missed: once per target and per customer message that started the wait,
    stamped with the time it was due (not when a scan noticed)."""

    __tablename__ = "sla_breach"
    __table_args__ = (UniqueConstraint("conversation_id", "target", "message_id", name="uq_breach_once"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", ondelete="CASCADE")
    target: str = Field(max_length=16)  # first_response | next_response | resolution
    message_id: int
    due_at: datetime = _ts()
    recorded_at: datetime = _ts()


class AppSetting(SQLModel, table=True):
    __tablename__ = "app_setting"

    key: str = Field(primary_key=True, max_length=64)
    value: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON, nullable=True))


class JobStatus(SQLModel, table=True):
    """The last run of each scheduled job, for the Jobs page."""

    __tablename__ = "job_status"

    job_id: str = Field(primary_key=True, max_length=64)
    last_started_at: Optional[datetime] = _ts(nullable=True)
    last_finished_at: Optional[datetime] = _ts(nullable=True)
    last_result: str = Field(default="", max_length=500)
    last_error: str = Field(default="", max_length=2000)


class Webhook(SQLModel, table=True):
    """Where outbound events go, signed with the webhook's own secret."""

    id: Optional[int] = Field(default=None, primary_key=True)
    url: str = Field(max_length=500)
    secret: str = Field(max_length=100)
    events: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = Field(default=True)
    description: str = Field(default="", max_length=200)
    created_at: datetime = _ts()
    # Loopback and LAN receivers only when an admin ticks it; link-local and metadata never.
    allow_local: bool = Field(default=False)


class OutboxEvent(SQLModel, table=True):
    """Something to send out, written in the same transaction as what it reports."""

    __tablename__ = "outbox_event"

    id: Optional[int] = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=36, unique=True)  # stable across retries, for receivers to de-duplicate
    type: str = Field(max_length=32)
    conversation_id: Optional[int] = Field(default=None)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _ts()


class WebhookDelivery(SQLModel, table=True):
    """One event to one webhook: pending until a 2xx, retried with backoff, in order per conversation."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("outbox_event_id", "webhook_id", name="uq_delivery_once"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
        Index("ix_delivery_order", "webhook_id", "conversation_id", "status", "outbox_event_id"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    outbox_event_id: int = Field(foreign_key="outbox_event.id", ondelete="CASCADE")
    webhook_id: int = Field(foreign_key="webhook.id", ondelete="CASCADE")
    conversation_id: Optional[int] = Field(default=None)
    status: str = Field(default="pending", max_length=16)  # pending | delivered | failed
    attempts: int = Field(default=0)
    next_attempt_at: datetime = _ts()
    last_status_code: Optional[int] = Field(default=None)
    last_error: str = Field(default="", max_length=500)
    delivered_at: Optional[datetime] = _ts(nullable=True)


class CsatRating(SQLModel, table=True):
    """A customer's 1-5 rating, once per resolution (keyed by when it was resolved)."""

    __tablename__ = "csat_rating"
    __table_args__ = (UniqueConstraint("conversation_id", "resolved_at", name="uq_csat_once_per_resolution"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", ondelete="CASCADE")
    resolved_at: datetime = _ts()
    rating: int
    comment: str = Field(default="", max_length=2000)
    created_at: datetime = _ts()


class Attachment(SQLModel, table=True):
    """A file sent with a message. The bytes live once in the data folder's file store,
    named by their SHA-256 (the same file sent twice is stored once)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True, ondelete="CASCADE")
    filename: str = Field(max_length=255)  # as given, made safe
    content_type: str = Field(max_length=100)  # sniffed from the bytes, not taken from the sender
    size: int
    sha256: str = Field(max_length=64, index=True)
    created_at: datetime = _ts()
    # How long a voice note or video plays, read from the file (mutagen) when it came (migration 0017).
    duration_ms: Optional[int] = Field(default=None)


class Delivery(SQLModel, table=True):
    """How a public reply reaches the customer over its channel: queued, sent, delivered,
    or failed with the channel's reason. Written with the reply, in the same transaction."""

    __table_args__ = (Index("ix_delivery_due_status", "status", "next_attempt_at"),
                      Index("ix_delivery_external", "channel", "external_id"))

    id: Optional[int] = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", unique=True, ondelete="CASCADE")
    channel: str = Field(max_length=32)
    status: str = Field(default="queued", max_length=16)  # queued | sent | delivered | failed
    attempts: int = Field(default=0)
    next_attempt_at: Optional[datetime] = _ts(nullable=True)
    last_error: str = Field(default="", max_length=500)
    external_id: str = Field(default="", max_length=255)  # the channel's own id for it (Message-ID, SMS id)
    updated_at: datetime = _ts()
    # A sent mail's copy in its mailbox's Sent folder: "" none owed, "pending", "done".
    copy_state: str = Field(default="", max_length=16)

