"""Conversations: the rules of asynchronous threads.

- A customer message opens the conversation whatever it was (a snoozed one wakes,
  a resolved one reopens and counts as a re-contact).
- An agent's public reply sets `pending` by default, or resolves, or keeps open.
- Internal notes change no status and are never shown to the customer.
- `waiting_since` is the oldest unanswered customer message; a public reply clears it.
- Every assignment, transfer, status change and snooze leaves a system event in
  the thread, so its history shows who had it and when.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import datetime, timedelta

from sqlalchemy import Row, bindparam, delete, func, insert, update
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from helpdesk import events
from helpdesk.db import Transaction
from helpdesk.models import (EMAIL, EXTERNAL_ID, PHONE, EVENT, IN, NOTE, OPEN, OUT, PENDING, PRIORITIES, REPLY, RESOLVED,
                             SNOOZED, STATUSES, Agent, Conversation, ConversationRead, ConversationTag,
                             CsatRating, Customer, CustomerIdentifier, Draft, IdempotencyRecord, Message, Tag)
from helpdesk.services.base import Actor, Service, audit, require_text
from helpdesk.services.customers import (CustomerIdentity, CustomerProfile, customer_display_name,
                                         load_profile, normalize_email, normalize_external_id,
                                         normalize_phone, resolve_customer)
from helpdesk.services.errors import (Conflict, NewCustomerMessages, NotFound, ValidationFailed)
from helpdesk.services import outbox
from helpdesk.services.sla import Clocks, SlaService

MAX_BODY = 100_000
MAX_SUBJECT = 300
MAX_LIST = 100
AFTER_REPLY = ("pending", "resolved", "open")
_CHANNEL = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_TAG = re.compile(r"^[\w][\w \-/.&]{0,49}$", re.UNICODE)


def new_public_token() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits


def public_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_matches(stored: str, given: str) -> bool:
    """Constant time: a near miss takes as long as a far one."""
    return hmac.compare_digest(stored.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass"))


def preview_of(body: str) -> str:
    return " ".join(body.split())[:200]


def fmt_time(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


@dataclass
class IncomingMessage:
    """A customer message as an integration (or the customer link) hands it in."""

    body: str
    email: str | None = None
    phone: str | None = None
    external_id: str | None = None
    name: str | None = None
    subject: str | None = None
    channel: str | None = None
    conversation_id: int | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class IntakeResult:
    message_id: int
    conversation_id: int
    customer_id: int
    conversation_status: str
    public_token: str
    replayed: bool = False  # True: the idempotency key was seen before; nothing was written


@dataclass
class ConversationDetail:
    conversation: Conversation
    customer: CustomerProfile
    messages: list[Message]
    tags: list[str]
    assignee: Agent | None
    agents: dict[int, Agent] = field(default_factory=dict)  # authors of messages

    @property
    def customer_name(self) -> str:
        return customer_display_name(self.customer)


@dataclass
class ConversationFilter:
    status: str | None = None
    customer_email: str | None = None
    customer_id: int | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    priority: str | None = None
    tag: str | None = None


@dataclass
class ConversationPage:
    conversations: list[Conversation]
    next_cursor: int | None
    customers: dict[int, CustomerProfile]
    tags: dict[int, list[str]]


def validate_incoming(msg: IncomingMessage, default_region: str | None) -> tuple[CustomerIdentity, dict]:
    """Check and normalise a customer message; raises ValidationFailed naming each bad field."""
    fields: dict[str, str] = {}
    identity = CustomerIdentity()
    if msg.email not in (None, ""):
        identity.email = normalize_email(msg.email)
        if identity.email is None:
            fields["customer.email"] = "must be an email address like ann@example.com"
    if msg.phone not in (None, ""):
        identity.phone = normalize_phone(msg.phone, default_region)
        if identity.phone is None:
            fields["customer.phone"] = "must be a phone number like +15550100"
    if msg.external_id not in (None, ""):
        identity.external_id = normalize_external_id(msg.external_id)
        if identity.external_id is None:
            fields["customer.external_id"] = "must be 1 to 200 characters"
    if not (msg.email or msg.phone or msg.external_id) or (not fields and not identity.pairs()):
        fields["customer"] = "needs at least one of email, phone or external_id"
    identity.name = require_text(fields, "customer.name", msg.name, 200, required=False)
    body = require_text(fields, "body", msg.body, MAX_BODY)
    subject = require_text(fields, "subject", msg.subject, MAX_SUBJECT, required=False)
    channel = (msg.channel or "api").strip().lower()
    if not _CHANNEL.match(channel):
        fields["channel"] = "must be a short name like api, email, sms or web"
    if msg.conversation_id is not None and msg.conversation_id <= 0:
        fields["conversation_id"] = "must be a positive number"
    key = msg.idempotency_key
    if key is not None and not (0 < len(key) <= 255):
        fields["idempotency_key"] = "must be 1 to 255 characters"
    if fields:
        raise ValidationFailed("the message was not accepted", fields)
    clean = {"body": body, "subject": subject, "channel": channel,
             "conversation_id": msg.conversation_id}
    return identity, clean


def _request_hash(identity: CustomerIdentity, clean: dict) -> str:
    canonical = json.dumps({"ids": identity.pairs(), **clean}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


CONVERSATION = Conversation.__table__  # type: ignore[attr-defined]
MESSAGE = Message.__table__  # type: ignore[attr-defined]
IDEMPOTENCY = IdempotencyRecord.__table__  # type: ignore[attr-defined]
_INTAKE_COLUMNS = (CONVERSATION.c.id, CONVERSATION.c.customer_id, CONVERSATION.c.status,
                   CONVERSATION.c.waiting_since, CONVERSATION.c.public_token, CONVERSATION.c.reopen_count,
                   CONVERSATION.c.priority, CONVERSATION.c.first_reply_at,
                   *[CONVERSATION.c[f.name] for f in dataclass_fields(Clocks)])


# Built once: the intake hot path only binds values (no statement building per message).
_IDEMPOTENCY_BY_KEY = select(IDEMPOTENCY).where(IDEMPOTENCY.c.key == bindparam("b_key"))
_STATUS_AND_TOKEN = select(CONVERSATION.c.status, CONVERSATION.c.public_token).where(
    CONVERSATION.c.id == bindparam("b_id"))
_CONVERSATION_BY_ID = select(*_INTAKE_COLUMNS).where(CONVERSATION.c.id == bindparam("b_id"))
_CONVERSATION_BY_TOKEN = select(*_INTAKE_COLUMNS).where(CONVERSATION.c.public_token_digest == bindparam("b_digest"))
_LATEST_UNRESOLVED = select(*_INTAKE_COLUMNS).where(
    CONVERSATION.c.customer_id == bindparam("b_customer"), CONVERSATION.c.status != RESOLVED
).order_by(CONVERSATION.c.last_message_at.desc(), CONVERSATION.c.id.desc()).limit(1)
_INSERT_CONVERSATION = insert(CONVERSATION)
_INSERT_MESSAGE = insert(MESSAGE)
_INSERT_IDEMPOTENCY = insert(IDEMPOTENCY)
_UPDATE_CONVERSATION = update(CONVERSATION).where(CONVERSATION.c.id == bindparam("b_id"))


def _insert_event(conn: Connection, conversation_id: int, now: datetime, text: str, actor: Actor,
                  **meta: object) -> None:
    conn.execute(_INSERT_MESSAGE, {"conversation_id": conversation_id, "direction": OUT, "kind": EVENT,
                                   "author_agent_id": actor.agent_id, "channel": "system", "body": text,
                                   "meta": meta, "created_at": now})


def add_system_event(session: Session, conversation: Conversation, now: datetime, text: str,
                     actor: Actor, **meta: object) -> Message:
    message = Message(conversation_id=conversation.id, direction=OUT, kind=EVENT,  # type: ignore[arg-type]
                      author_agent_id=actor.agent_id, channel="system", body=text,
                      meta=meta, created_at=now)
    session.add(message)
    return message


class ConversationService(Service):
    def __init__(self, db, clock, settings, sla: SlaService | None = None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(db, clock, settings)
        self.sla = sla or SlaService(db, clock, settings)

    # ---- intake -------------------------------------------------------------------

    def receive(self, incoming: IncomingMessage, actor: Actor | None = None) -> IntakeResult:
        """A customer message arrives (intake API, demo). SQLAlchemy Core, not the ORM:
        this is the hot path, and one short transaction under the write lock."""
        identity, clean = validate_incoming(incoming, self.settings.default_phone_region)
        actor = actor or Actor.customer()
        now = self.now()
        key = incoming.idempotency_key
        request_hash = _request_hash(identity, clean) if key else ""
        with self.db.write() as tx:
            conn = tx.session.connection()
            if key:
                record = conn.execute(_IDEMPOTENCY_BY_KEY, {"b_key": key}).first()
                if record is not None:
                    if record.request_hash != request_hash:
                        raise Conflict("this idempotency_key was already used for a different message",
                                       {"idempotency_key": "already used for a different message"})
                    conversation = conn.execute(_STATUS_AND_TOKEN, {"b_id": record.conversation_id}).first()
                    return IntakeResult(record.message_id, record.conversation_id, record.customer_id,
                                        conversation.status if conversation else OPEN,
                                        conversation.public_token if conversation else "", replayed=True)
            customer_id, _ = resolve_customer(conn, identity, now, actor)
            conversation = self._conversation_for(conn, customer_id, clean["conversation_id"])
            result = self._append_customer_message(tx, conn, conversation, customer_id, clean, now, actor)
            if key:
                conn.execute(_INSERT_IDEMPOTENCY, {
                    "key": key, "request_hash": request_hash, "message_id": result.message_id,
                    "conversation_id": result.conversation_id, "customer_id": customer_id, "created_at": now})
            return result

    def receive_from_link(self, token: str, body: str) -> IntakeResult:
        """The customer replies on their own conversation page (/c/<token>)."""
        fields: dict[str, str] = {}
        body = require_text(fields, "body", body, MAX_BODY)
        if fields:
            raise ValidationFailed("the message was not sent", fields)
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            conversation = conn.execute(_CONVERSATION_BY_TOKEN, {"b_digest": public_token_digest(token)}).first() \
                if token else None
            if conversation is None or not token_matches(conversation.public_token, token):
                raise NotFound("conversation not found")
            actor = Actor.customer(conversation.customer_id)
            return self._append_customer_message(tx, conn, conversation, conversation.customer_id,
                                                 {"body": body, "channel": "web", "subject": ""}, now, actor)

    @staticmethod
    def _conversation_for(conn: Connection, customer_id: int, wanted: int | None) -> Row | None:
        """The conversation a customer message belongs to, or None for a new one."""
        if wanted is not None:
            conversation = conn.execute(_CONVERSATION_BY_ID, {"b_id": wanted}).first()
            # Another customer's conversation looks exactly like a missing one.
            if conversation is None or conversation.customer_id != customer_id:
                raise NotFound(f"conversation {wanted} not found")
            return conversation
        return conn.execute(_LATEST_UNRESOLVED, {"b_customer": customer_id}).first()

    def _append_customer_message(self, tx: Transaction, conn: Connection, conversation: Row | None,
                                 customer_id: int, clean: dict, now: datetime, actor: Actor) -> IntakeResult:
        """Store a customer message and open its conversation, whatever state it was in."""
        changes: dict[str, object] = {}
        if conversation is None:
            token = new_public_token()
            conversation_id = conn.execute(_INSERT_CONVERSATION, {
                "customer_id": customer_id, "subject": clean["subject"], "channel": clean["channel"],
                "status": OPEN, "priority": "normal", "public_token": token,
                "public_token_digest": public_token_digest(token), "created_at": now,
                "updated_at": now, "waiting_since": now, "last_message_preview": "", "reopen_count": 0,
            }).inserted_primary_key[0]
            tx.emit(events.CONVERSATION_CREATED, conversation_id)
        else:
            conversation_id, token = conversation.id, conversation.public_token
            # The status change (and its "reopened"/"woke" event) comes first in the thread.
            if conversation.status == RESOLVED:
                changes.update(reopen_count=conversation.reopen_count + 1, resolved_at=None)
                _insert_event(conn, conversation_id, now, "Reopened: the customer wrote again", actor,
                              event="reopened", by="customer")
                audit(conn, now, actor, "conversation.reopened", conversation_id, by="customer")
            elif conversation.status == SNOOZED:
                _insert_event(conn, conversation_id, now, "Woke up early: the customer wrote", actor,
                              event="woke", by="customer")
                audit(conn, now, actor, "conversation.woke", conversation_id, by="customer")
            changes.update(status=OPEN, snoozed_until=None, waiting_since=conversation.waiting_since or now)
        message_id = conn.execute(_INSERT_MESSAGE, {
            "conversation_id": conversation_id, "direction": IN, "kind": REPLY, "channel": clean["channel"],
            "body": clean["body"], "created_at": now}).inserted_primary_key[0]
        before = (Clocks.of(conversation) if conversation is not None else Clocks()).values()
        clocks = self.sla.rules().customer_wrote(
            Clocks(**before), message_id,
            replied_before=conversation is not None and conversation.first_reply_at is not None, now=now,
            priority=conversation.priority if conversation is not None else "normal")
        # Only the clock columns that changed: unchanged indexed columns cost no index writes.
        clock_changes = {k: v for k, v in clocks.values().items() if conversation is None or before[k] != v}
        conn.execute(_UPDATE_CONVERSATION, {
            "b_id": conversation_id, "last_message_id": message_id, "last_message_at": now,
            "last_customer_message_at": now, "updated_at": now, "last_message_preview": preview_of(clean["body"]),
            **changes, **clock_changes})
        tx.emit(events.MESSAGE_CREATED, conversation_id, message_id=message_id, direction=IN, kind=REPLY,
                customer_id=customer_id)
        tx.emit(events.CONVERSATION_UPDATED, conversation_id, status=OPEN)
        return IntakeResult(message_id, conversation_id, customer_id, OPEN, token)

    # ---- agent actions ------------------------------------------------------------

    def _load_for_update(self, s: Session, conversation_id: int) -> Conversation:
        conversation = s.get(Conversation, conversation_id)
        if conversation is None:
            raise NotFound(f"conversation {conversation_id} not found")
        return conversation

    def reply(self, conversation_id: int, actor: Actor, body: str, then: str = "pending",
              seen_message_id: int | None = None, confirm_new_messages: bool = False) -> Message:
        """A public reply from an agent. `then` is what happens to the conversation:
        pending (waits on the customer), resolved, or open (keep open).

        If `seen_message_id` is given and customer messages newer than it exist, the
        reply is refused with NewCustomerMessages unless `confirm_new_messages`."""
        fields: dict[str, str] = {}
        body = require_text(fields, "body", body, MAX_BODY)
        if then not in AFTER_REPLY:
            fields["then"] = "must be pending, resolved or open"
        if fields:
            raise ValidationFailed("the reply was not sent", fields)
        agent_id = self._require_agent(actor)
        now = self.now()
        with self.db.write() as tx:
            s = tx.session
            conversation = self._load_for_update(s, conversation_id)
            if seen_message_id is not None and not confirm_new_messages:
                unseen = s.exec(select(func.count()).select_from(Message).where(
                    Message.conversation_id == conversation_id, Message.direction == IN,
                    Message.kind == REPLY, col(Message.id) > seen_message_id)).one()
                if unseen:
                    raise NewCustomerMessages(unseen)
            message = Message(conversation_id=conversation_id, direction=OUT, kind=REPLY,
                              author_agent_id=agent_id, channel=conversation.channel, body=body,
                              created_at=now)
            s.add(message)
            if conversation.assignee_id is None:
                conversation.assignee_id = agent_id
                add_system_event(s, conversation, now, f"{actor.name} took this conversation by replying",
                                 actor, event="assigned", to=agent_id, by=agent_id)
            if conversation.first_reply_at is None:
                conversation.first_reply_at = now
            conversation.waiting_since = None
            self._set_status(s, conversation, {"pending": PENDING, "resolved": RESOLVED, "open": OPEN}[then],
                             now, actor, quiet_pending=True)
            self.sla.rules().replied(Clocks.of(conversation), conversation.status, now,
                                     conversation.priority).apply_to(conversation)
            conversation.last_message_at = now
            conversation.last_message_preview = preview_of(body)
            conversation.updated_at = now
            s.flush()
            conversation.last_message_id = message.id
            s.add(conversation)
            s.exec(delete(Draft).where(col(Draft.agent_id) == agent_id,  # type: ignore[call-overload]
                                       col(Draft.conversation_id) == conversation_id))
            self._mark_read(s, agent_id, conversation_id, message.id)  # type: ignore[arg-type]
            # The reply goes out to webhooks from the outbox, written in this same transaction.
            profile = load_profile(s, s.get(Customer, conversation.customer_id))  # type: ignore[arg-type]
            outbox.enqueue(s.connection(), "message.created", conversation_id, {
                "conversation_id": conversation_id, "message_id": message.id, "direction": OUT, "body": body,
                "created_at": now.isoformat(), "author": {"type": "agent", "id": agent_id, "name": actor.name},
                "conversation_status": conversation.status, "public_token": conversation.public_token,
                "customer": {"id": conversation.customer_id, "name": profile.customer.name,
                             "email": profile.first(EMAIL), "phone": profile.first(PHONE),
                             "external_id": profile.first(EXTERNAL_ID)}}, now)
            tx.emit(outbox.OUTBOX_ENQUEUED, conversation_id)
            tx.emit(events.MESSAGE_CREATED, conversation_id, message_id=message.id, direction=OUT, kind=REPLY,
                    agent_id=agent_id)
            tx.emit(events.CONVERSATION_UPDATED, conversation_id, status=conversation.status)
            tx.emit(events.DRAFT_SAVED, conversation_id, agent_id=agent_id, body="")
            return message

    def add_note(self, conversation_id: int, actor: Actor, body: str) -> Message:
        """An internal note: never shown to the customer, changes no status."""
        fields: dict[str, str] = {}
        body = require_text(fields, "body", body, MAX_BODY)
        if fields:
            raise ValidationFailed("the note was not saved", fields)
        agent_id = self._require_agent(actor)
        now = self.now()
        with self.db.write() as tx:
            s = tx.session
            conversation = self._load_for_update(s, conversation_id)
            message = Message(conversation_id=conversation_id, direction=OUT, kind=NOTE,
                              author_agent_id=agent_id, channel="note", body=body, created_at=now)
            s.add(message)
            conversation.last_message_preview = preview_of("Note: " + body)
            conversation.updated_at = now
            s.flush()
            conversation.last_message_id = message.id
            s.add(conversation)
            s.exec(delete(Draft).where(col(Draft.agent_id) == agent_id,  # type: ignore[call-overload]
                                       col(Draft.conversation_id) == conversation_id))
            self._mark_read(s, agent_id, conversation_id, message.id)  # type: ignore[arg-type]
            tx.emit(events.MESSAGE_CREATED, conversation_id, message_id=message.id, direction=OUT, kind=NOTE,
                    agent_id=agent_id)
            tx.emit(events.CONVERSATION_UPDATED, conversation_id, status=conversation.status)
            tx.emit(events.DRAFT_SAVED, conversation_id, agent_id=agent_id, body="")
            return message

    def set_status(self, conversation_id: int, status: str, actor: Actor,
                   snooze_until: datetime | None = None) -> Conversation:
        """Resolve, reopen, set pending or snooze (until a time in the future)."""
        if status not in STATUSES:
            raise ValidationFailed("unknown status", {"status": "must be open, pending, snoozed or resolved"})
        now = self.now()
        if status == SNOOZED:
            if snooze_until is None or snooze_until.tzinfo is None:
                raise ValidationFailed("a snooze needs a time", {"snooze_until": "must be a time with a time zone"})
            if snooze_until <= now:
                raise ValidationFailed("a snooze must end in the future", {"snooze_until": "must be in the future"})
        with self.db.write() as tx:
            conversation = self._load_for_update(tx.session, conversation_id)
            changed = self._set_status(tx.session, conversation, status, now, actor, snooze_until=snooze_until)
            if changed:
                self._update_clocks(tx.session, conversation, now)
                conversation.updated_at = now
                tx.session.add(conversation)
                tx.emit(events.CONVERSATION_UPDATED, conversation_id, status=conversation.status)
            return conversation

    def _set_status(self, s: Session, conversation: Conversation, status: str, now: datetime, actor: Actor,
                    snooze_until: datetime | None = None, quiet_pending: bool = False) -> bool:
        old = conversation.status
        if old == status and not (status == SNOOZED and snooze_until != conversation.snoozed_until):
            return False
        who = actor.name or actor.type
        conversation.status = status
        conversation.snoozed_until = snooze_until if status == SNOOZED else None
        if status == RESOLVED:
            conversation.resolved_at = now
            conversation.waiting_since = None  # nobody waits on a resolved conversation
            add_system_event(s, conversation, now, f"Resolved by {who}", actor, event="resolved", old=old)
        elif status == SNOOZED:
            add_system_event(s, conversation, now, f"Snoozed by {who} until {fmt_time(snooze_until)}",  # type: ignore[arg-type]
                             actor, event="snoozed", until=snooze_until.isoformat(), old=old)  # type: ignore[union-attr]
        elif status == OPEN:
            if old == RESOLVED:
                conversation.resolved_at = None
            add_system_event(s, conversation, now, f"Reopened by {who}" if old == RESOLVED else
                             f"Marked open by {who}", actor, event="opened", old=old)
        elif status == PENDING and not quiet_pending:
            add_system_event(s, conversation, now, f"Set to pending by {who}", actor, event="pending", old=old)
        audit(s, now, actor, "conversation.status", conversation.id, old=old, new=status,
              snooze_until=snooze_until.isoformat() if snooze_until else None)
        return True

    def rate(self, token: str, rating: int, comment: str = "") -> CsatRating:
        """The customer rates the help (1-5) after a resolution; once per resolution."""
        fields: dict[str, str] = {}
        if not isinstance(rating, int) or not 1 <= rating <= 5:
            fields["rating"] = "must be 1, 2, 3, 4 or 5"
        comment = require_text(fields, "comment", comment, 2000, required=False)
        if fields:
            raise ValidationFailed("the rating was not saved", fields)
        now = self.now()
        with self.db.write() as tx:
            s = tx.session
            conversation = self._by_token(s, token)
            if conversation is None:
                raise NotFound("conversation not found")
            if conversation.status != RESOLVED or conversation.resolved_at is None:
                raise Conflict("a rating can be given once the conversation is resolved")
            if s.exec(select(CsatRating).where(CsatRating.conversation_id == conversation.id,
                                               CsatRating.resolved_at == conversation.resolved_at)).first():
                raise Conflict("this resolution has already been rated")
            rated = CsatRating(conversation_id=conversation.id, resolved_at=conversation.resolved_at, rating=rating,
                               comment=comment, created_at=now)
            s.add(rated)
            text = f"Customer rated the help {rating}/5" + (f": {comment}" if comment else "")
            add_system_event(s, conversation, now, text, Actor.customer(conversation.customer_id),
                             event="csat", rating=rating)
            audit(s, now, Actor.customer(conversation.customer_id), "conversation.rated", conversation.id,
                  rating=rating)
            tx.emit(events.CONVERSATION_UPDATED, conversation.id, rating=rating)
            return rated

    def rating_for_current_resolution(self, conversation: Conversation) -> CsatRating | None:
        if conversation.status != RESOLVED or conversation.resolved_at is None:
            return None
        with self.db.read() as s:
            return s.exec(select(CsatRating).where(CsatRating.conversation_id == conversation.id,
                                                   CsatRating.resolved_at == conversation.resolved_at)).first()

    def _update_clocks(self, s: Session, conversation: Conversation, now: datetime) -> None:
        """Start, pause, resume or stop the SLA clocks after a status change."""
        s.flush()
        latest = s.exec(select(func.max(Message.id)).where(Message.conversation_id == conversation.id)).one()
        self.sla.rules().status_changed(Clocks.of(conversation), conversation.status, now, conversation.priority,
                                        start_id=latest).apply_to(conversation)

    def auto_resolve(self, days: int, actor: Actor | None = None, batch: int = 500) -> list[int]:
        """Resolve conversations waiting on the customer (pending) with no message for `days` days.
        Never one that waits on the team."""
        now = self.now()
        actor = actor or Actor.system()
        cutoff = now - timedelta(days=days)
        with self.db.write() as tx:
            due = tx.session.exec(select(Conversation).where(
                Conversation.status == PENDING, col(Conversation.last_message_at) <= cutoff).limit(batch)).all()
            for conversation in due:
                conversation.status = RESOLVED
                conversation.resolved_at = now
                conversation.waiting_since = None
                conversation.updated_at = now
                add_system_event(tx.session, conversation, now,
                                 f"Resolved automatically: no reply from the customer for {days} days", actor,
                                 event="auto_resolved", days=days)
                audit(tx.session, now, actor, "conversation.auto_resolved", conversation.id, days=days)
                self._update_clocks(tx.session, conversation, now)
                tx.session.add(conversation)
                tx.emit(events.CONVERSATION_UPDATED, conversation.id, status=RESOLVED)
        return [c.id for c in due]  # type: ignore[misc]

    def wake_snoozed(self, actor: Actor | None = None) -> list[int]:
        """Open every snoozed conversation whose time has come (the scheduler calls this)."""
        now = self.now()
        actor = actor or Actor.system()
        woken: list[int] = []
        with self.db.write() as tx:
            due = tx.session.exec(select(Conversation).where(
                Conversation.status == SNOOZED, col(Conversation.snoozed_until) <= now).limit(1000)).all()
            for conversation in due:
                until = conversation.snoozed_until
                conversation.status = OPEN
                conversation.snoozed_until = None
                conversation.updated_at = now
                add_system_event(tx.session, conversation, now, "Snooze ended", actor, event="woke", by="time",
                                 until=until.isoformat() if until else None)
                self._update_clocks(tx.session, conversation, now)
                tx.session.add(conversation)
                woken.append(conversation.id)  # type: ignore[arg-type]
                tx.emit(events.CONVERSATION_UPDATED, conversation.id, status=OPEN)
        return woken

    def assign(self, conversation_id: int, assignee_id: int | None, actor: Actor) -> Conversation:
        """Assign, transfer or unassign; each leaves a system event in the thread."""
        now = self.now()
        with self.db.write() as tx:
            s = tx.session
            conversation = self._load_for_update(s, conversation_id)
            new_agent = None
            if assignee_id is not None:
                new_agent = s.get(Agent, assignee_id)
                if new_agent is None or not new_agent.active:
                    raise ValidationFailed("no such active agent", {"assignee_id": "must be an active agent"})
            old_id = conversation.assignee_id
            if old_id == assignee_id:
                return conversation
            old_agent = s.get(Agent, old_id) if old_id else None
            who = actor.name or actor.type
            if old_agent is None and new_agent is not None:
                text = (f"{who} took this conversation" if actor.agent_id == new_agent.id
                        else f"Assigned to {new_agent.name} by {who}")
                kind = "assigned"
            elif new_agent is not None:
                text = f"Transferred from {old_agent.name} to {new_agent.name} by {who}"  # type: ignore[union-attr]
                kind = "transferred"
            else:
                text = f"Unassigned from {old_agent.name} by {who}"  # type: ignore[union-attr]
                kind = "unassigned"
            conversation.assignee_id = assignee_id
            conversation.updated_at = now
            s.add(conversation)
            add_system_event(s, conversation, now, text, actor, event=kind, old=old_id, to=assignee_id)
            audit(s, now, actor, f"conversation.{kind}", conversation_id, old=old_id, new=assignee_id)
            tx.emit(events.CONVERSATION_UPDATED, conversation_id, assignee_id=assignee_id)
            return conversation

    def set_priority(self, conversation_id: int, priority: str, actor: Actor) -> Conversation:
        if priority not in PRIORITIES:
            raise ValidationFailed("unknown priority", {"priority": "must be urgent, high, normal or low"})
        now = self.now()
        with self.db.write() as tx:
            conversation = self._load_for_update(tx.session, conversation_id)
            old = conversation.priority
            if old != priority:
                conversation.priority = priority
                conversation.updated_at = now
                self.sla.rules().schedule(Clocks.of(conversation), priority).apply_to(conversation)
                tx.session.add(conversation)
                add_system_event(tx.session, conversation, now,
                                 f"Priority changed from {old} to {priority} by {actor.name or actor.type}",
                                 actor, event="priority", old=old, new=priority)
                audit(tx.session, now, actor, "conversation.priority", conversation_id, old=old, new=priority)
                tx.emit(events.CONVERSATION_UPDATED, conversation_id, priority=priority)
            return conversation

    def set_tags(self, conversation_id: int, names: list[str], actor: Actor) -> list[str]:
        """Replace the conversation's tags (tags are created on first use)."""
        clean: list[str] = []
        for raw in names:
            name = " ".join(raw.split()).lower()
            if not name:
                continue
            if not _TAG.match(name):
                raise ValidationFailed("a tag name is not usable",
                                       {"tags": "use up to 50 letters, digits, spaces or - / . &"})
            if name not in clean:
                clean.append(name)
        now = self.now()
        with self.db.write() as tx:
            s = tx.session
            self._load_for_update(s, conversation_id)
            old = _tag_names(s, [conversation_id]).get(conversation_id, [])
            if sorted(old) == sorted(clean):
                return old
            s.exec(delete(ConversationTag).where(  # type: ignore[call-overload]
                col(ConversationTag.conversation_id) == conversation_id))
            for name in clean:
                tag = s.exec(select(Tag).where(Tag.name == name)).first()
                if tag is None:
                    tag = Tag(name=name)
                    s.add(tag)
                    s.flush()
                s.add(ConversationTag(conversation_id=conversation_id, tag_id=tag.id))  # type: ignore[arg-type]
            audit(s, now, actor, "conversation.tags", conversation_id, old=old, new=clean)
            tx.emit(events.CONVERSATION_UPDATED, conversation_id, tags=clean)
            return clean

    def add_tag(self, conversation_id: int, name: str, actor: Actor) -> list[str]:
        return self.set_tags(conversation_id, self.tags_of(conversation_id) + [name], actor)

    def remove_tag(self, conversation_id: int, name: str, actor: Actor) -> list[str]:
        name = " ".join(name.split()).lower()
        return self.set_tags(conversation_id, [t for t in self.tags_of(conversation_id) if t != name], actor)

    def tags_of(self, conversation_id: int) -> list[str]:
        with self.db.read() as s:
            return _tag_names(s, [conversation_id]).get(conversation_id, [])

    def all_tags(self) -> list[str]:
        with self.db.read() as s:
            return list(s.exec(select(Tag.name).order_by(Tag.name)).all())

    def mark_read(self, conversation_id: int, agent_id: int) -> None:
        with self.db.write() as tx:
            conversation = self._load_for_update(tx.session, conversation_id)
            self._mark_read(tx.session, agent_id, conversation_id, conversation.last_message_id or 0)

    def _mark_read(self, s: Session, agent_id: int, conversation_id: int, message_id: int) -> None:
        row = s.get(ConversationRead, (agent_id, conversation_id))
        if row is None:
            s.add(ConversationRead(agent_id=agent_id, conversation_id=conversation_id,
                                   last_read_message_id=message_id))
        elif row.last_read_message_id < message_id:
            row.last_read_message_id = message_id
            s.add(row)

    @staticmethod
    def _require_agent(actor: Actor) -> int:
        if actor.agent_id is None:
            raise ValidationFailed("only an agent can do this", {"agent": "required"})
        return actor.agent_id

    # ---- reading ------------------------------------------------------------------

    def get(self, conversation_id: int, public_only: bool = False) -> ConversationDetail:
        """A conversation with its whole thread in order (public replies only if asked)."""
        with self.db.read() as s:
            conversation = s.get(Conversation, conversation_id)
            if conversation is None:
                raise NotFound(f"conversation {conversation_id} not found")
            return self._detail(s, conversation, public_only)

    def get_by_token(self, token: str) -> ConversationDetail:
        """The customer's view through their link: public messages only."""
        with self.db.read() as s:
            conversation = self._by_token(s, token)
            if conversation is None:
                raise NotFound("conversation not found")
            return self._detail(s, conversation, public_only=True)

    @staticmethod
    def _by_token(s: Session, token: str) -> Conversation | None:
        if not token or len(token) > 64:
            return None
        conversation = s.exec(select(Conversation).where(
            Conversation.public_token_digest == public_token_digest(token))).first()
        return conversation if conversation is not None and token_matches(conversation.public_token, token) else None

    def _detail(self, s: Session, conversation: Conversation, public_only: bool) -> ConversationDetail:
        query = select(Message).where(Message.conversation_id == conversation.id)
        if public_only:
            query = query.where(Message.kind == REPLY)
        messages = list(s.exec(query.order_by(col(Message.id))).all())
        customer = s.get(Customer, conversation.customer_id)
        author_ids = {m.author_agent_id for m in messages if m.author_agent_id}
        if conversation.assignee_id:
            author_ids.add(conversation.assignee_id)
        agents = {a.id: a for a in s.exec(select(Agent).where(col(Agent.id).in_(author_ids))).all()} \
            if author_ids else {}
        return ConversationDetail(
            conversation=conversation, customer=load_profile(s, customer),  # type: ignore[arg-type]
            messages=messages, tags=_tag_names(s, [conversation.id]).get(conversation.id, []),  # type: ignore[list-item]
            assignee=agents.get(conversation.assignee_id) if conversation.assignee_id else None,
            agents=agents)  # type: ignore[arg-type]

    def list(self, filters: ConversationFilter, limit: int = 50, before_id: int | None = None) -> ConversationPage:
        """Conversations matching the filters, newest first, paged by id (keyset)."""
        limit = max(1, min(limit, MAX_LIST))
        query = select(Conversation)
        if filters.status:
            if filters.status not in STATUSES:
                raise ValidationFailed("unknown status", {"status": "must be open, pending, snoozed or resolved"})
            query = query.where(Conversation.status == filters.status)
        if filters.priority:
            if filters.priority not in PRIORITIES:
                raise ValidationFailed("unknown priority", {"priority": "must be urgent, high, normal or low"})
            query = query.where(Conversation.priority == filters.priority)
        if filters.customer_email is not None:
            email = normalize_email(filters.customer_email)
            if email is None:
                raise ValidationFailed("not an email address", {"customer_email": "must be an email address"})
            query = query.where(col(Conversation.customer_id).in_(
                select(CustomerIdentifier.customer_id).where(
                    CustomerIdentifier.kind == EMAIL, CustomerIdentifier.value == email)))
        if filters.customer_id is not None:
            query = query.where(Conversation.customer_id == filters.customer_id)
        if filters.unassigned:
            query = query.where(col(Conversation.assignee_id).is_(None))
        elif filters.assignee_id is not None:
            query = query.where(Conversation.assignee_id == filters.assignee_id)
        if filters.tag:
            query = query.where(col(Conversation.id).in_(
                select(ConversationTag.conversation_id).join(Tag, col(Tag.id) == ConversationTag.tag_id)
                .where(Tag.name == filters.tag.strip().lower())))
        if before_id is not None:
            query = query.where(col(Conversation.id) < before_id)
        query = query.order_by(col(Conversation.id).desc()).limit(limit + 1)
        with self.db.read() as s:
            rows = list(s.exec(query).all())
            more = len(rows) > limit
            rows = rows[:limit]
            customer_ids = {c.customer_id for c in rows}
            customers = {c.id: load_profile(s, c) for c in
                         s.exec(select(Customer).where(col(Customer.id).in_(customer_ids))).all()}
            tags = _tag_names(s, [c.id for c in rows])  # type: ignore[misc]
        return ConversationPage(conversations=rows, next_cursor=rows[-1].id if more else None,
                                customers=customers, tags=tags)  # type: ignore[arg-type]


def _tag_names(s: Session, conversation_ids: list[int]) -> dict[int, list[str]]:
    if not conversation_ids:
        return {}
    rows = s.exec(select(ConversationTag.conversation_id, Tag.name)
                  .join(Tag, col(Tag.id) == ConversationTag.tag_id)
                  .where(col(ConversationTag.conversation_id).in_(conversation_ids))
                  .order_by(Tag.name)).all()
    out: dict[int, list[str]] = {}
    for conversation_id, name in rows:
        out.setdefault(conversation_id, []).append(name)
    return out


__all__ = ["ConversationService", "IncomingMessage", "IntakeResult", "ConversationFilter",
           "ConversationDetail", "ConversationPage", "add_system_event"]
