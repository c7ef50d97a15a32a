"""Customer messages arriving: from the intake API, the customer's own link, and soon
every channel. Threading (docs/architecture.md): a message with a conversation id goes there (it
must be this customer's); otherwise to the customer's latest unresolved conversation,
or a new one. Whatever the conversation's status was, it opens (the status machine).

This is the hot path: SQLAlchemy Core statements built once, one short transaction."""

from __future__ import annotations

from typing import Any, Sequence

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import Row, bindparam, func, insert, select
from sqlalchemy.engine import Connection

from helpdesk.events import OUTBOX_ENQUEUED
from helpdesk import events
from helpdesk.db import Transaction
from helpdesk.db.direct import prepared
from helpdesk.models import IN, OPEN, REPLY, RESOLVED, SPAM
from helpdesk.models.tables import (API_TOKENS as TOKENS, CONVERSATIONS as CONVERSATION, CUSTOMER_IDENTIFIERS,
                                   CUSTOMERS, IDEMPOTENCY_RECORDS as IDEMPOTENCY, MESSAGES as MESSAGE)
from helpdesk.services.automation.record import record as record_for_rules
from helpdesk.services.base import Actor, new_id, require_scope, require_text, writes
from helpdesk.services.conversations.choices import choice_answered, rich_fields
from helpdesk.services.conversations.common import (MAX_BODY, MAX_SUBJECT, STATE_BY_TOKEN, STATE_COLUMNS,
                                                    ConversationBase, Sender, follow_merges, load_state, new_public_token,
                                                    preview_of, public_token_digest, token_matches)
from helpdesk.services.thread_events import INSERT_MESSAGE
from helpdesk.services.conversations.handoff import wants_a_person
from helpdesk.services.conversations.status import CUSTOMER, change_status
from helpdesk.services.customers import (CustomerIdentity, normalize_email, normalize_external_id, normalize_phone,
                                         resolve_customer)
from helpdesk.services.errors import Conflict, NotFound, ValidationFailed
from helpdesk.services.files import StagedFile
from helpdesk.services.outbox import enqueue
from helpdesk.services.sla import Clocks

_CHANNEL = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MESSAGE_RECEIVED = "message.received"


@dataclass
class IncomingMessage:
    """A customer message as an integration (or the customer link, or a channel) hands it in."""

    body: str
    email: str | None = None
    phone: str | None = None
    external_id: str | None = None
    name: str | None = None
    subject: str | None = None
    channel: str | None = None
    conversation_id: int | None = None
    idempotency_key: str | None = None
    team_id: int | None = None  # the team a new conversation goes to (the chat site's), if not the token's
    meta: dict[str, Any] | None = None  # what the message carries besides its words (the articles read first)


@dataclass(frozen=True)
class IntakeResult:
    message_id: int
    conversation_id: int
    customer_id: int
    conversation_status: str
    public_token: str
    replayed: bool = False  # True: the idempotency key was seen before; nothing was written
    created: bool = False  # True: this message started a new conversation


def validate_incoming(msg: IncomingMessage, default_region: str | None) -> tuple[CustomerIdentity, dict[str, Any]]:
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
    clean = {"body": body, "subject": subject, "channel": channel, "conversation_id": msg.conversation_id}
    return identity, clean


def _request_hash(identity: CustomerIdentity, clean: dict[str, Any]) -> str:
    canonical = json.dumps({"ids": identity.pairs(), **clean}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class CheckedMessage:
    """A customer message validated and normalised, with its idempotency hash: what the writer
    stores. The intake API checks on the event loop before queueing, so the one writer thread,
    the bottleneck of a burst, spends none of its time on it (~14 % of its Python, py-spy)."""

    incoming: IncomingMessage
    identity: CustomerIdentity
    clean: dict[str, Any]
    request_hash: str


def check_incoming(incoming: IncomingMessage, default_region: str | None) -> CheckedMessage:
    """Validate (ValidationFailed names each bad field) and hash a customer message."""
    identity, clean = validate_incoming(incoming, default_region)
    return CheckedMessage(incoming, identity, clean,
                          _request_hash(identity, clean) if incoming.idempotency_key else "")


_IDEMPOTENCY_BY_KEY = prepared(select(IDEMPOTENCY).where(IDEMPOTENCY.c.key == bindparam("b_key")))
_STATUS_AND_TOKEN = prepared(select(CONVERSATION.c.status, CONVERSATION.c.public_token).where(
    CONVERSATION.c.id == bindparam("b_id")))
_STATE_BY_ID = prepared(select(*STATE_COLUMNS).where(CONVERSATION.c.id == bindparam("b_id")))
_LATEST_UNRESOLVED = prepared(select(*STATE_COLUMNS).where(
    CONVERSATION.c.customer_id == bindparam("b_customer"), CONVERSATION.c.status != RESOLVED
).order_by(CONVERSATION.c.last_message_at.desc(), CONVERSATION.c.id.desc()).limit(1))
_FIRST_MESSAGE = prepared(select(func.min(MESSAGE.c.id)).where(MESSAGE.c.conversation_id == bindparam("b_id")))
_FIRST_RESPONDER = prepared(select(TOKENS.c.id).where(
    TOKENS.c.first_responder == bindparam("b_channel"), TOKENS.c.revoked_at.is_(None)).limit(1))
_INSERT_CONVERSATION = prepared(insert(CONVERSATION))
_TOKEN_TEAM = prepared(select(TOKENS.c.team_id).where(TOKENS.c.id == bindparam("b_id")))
_INSERT_IDEMPOTENCY = prepared(insert(IDEMPOTENCY))
# The usual follow-up, in one statement: the customer who owns the one identifier given, with
# their name and every identifier (the webhook payload names them), and their latest unresolved
# conversation (its columns are NULL when there is none). Rows: one per identifier.
_SENDER, _KNOWN = CUSTOMER_IDENTIFIERS.alias("sender"), CUSTOMER_IDENTIFIERS.alias("known")
_LATEST = CONVERSATION.alias("latest")
_KNOWN_SENDER = prepared(
    select(_SENDER.c.customer_id.label("owner_id"), CUSTOMERS.c.name.label("owner_name"),
           _KNOWN.c.kind.label("known_kind"), _KNOWN.c.value.label("known_value"), *STATE_COLUMNS)
    .select_from(_SENDER.join(CUSTOMERS, CUSTOMERS.c.id == _SENDER.c.customer_id)
                 .join(_KNOWN, _KNOWN.c.customer_id == _SENDER.c.customer_id)
                 .outerjoin(CONVERSATION, CONVERSATION.c.id == select(_LATEST.c.id).where(
                     _LATEST.c.customer_id == _SENDER.c.customer_id, _LATEST.c.status != RESOLVED)
                     .order_by(_LATEST.c.last_message_at.desc(), _LATEST.c.id.desc()).limit(1)
                     .correlate(_SENDER).scalar_subquery()))
    .where(_SENDER.c.kind == bindparam("b_kind"), _SENDER.c.value == bindparam("b_value"))
    .order_by(_KNOWN.c.id))


class IntakeMixin(ConversationBase):
    def check(self, incoming: IncomingMessage) -> CheckedMessage:
        """A customer message validated for `receive` (raises ValidationFailed), off the writer."""
        return check_incoming(incoming, self.settings.default_phone_region)

    def receive(self, incoming: IncomingMessage | CheckedMessage, actor: Actor | None = None,
                files: Sequence[StagedFile] = ()) -> IntakeResult:
        """A customer message arrives (intake API, channels, demo), with its files already in the store."""
        require_scope(actor, "intake", "post customer messages")
        self.files.limits.check_total(list(files))
        return self._receive(incoming if isinstance(incoming, CheckedMessage) else self.check(incoming), actor,
                             tuple(files))

    @writes
    def _receive(self, checked: CheckedMessage, actor: Actor | None, files: tuple[StagedFile, ...]) -> IntakeResult:
        """One short transaction."""
        incoming, identity, clean = checked.incoming, checked.identity, checked.clean
        actor = actor or Actor.customer()
        now = self.now()
        key = incoming.idempotency_key
        with self.db.write() as tx:
            conn = tx.direct()
            if key:
                record = conn.execute(_IDEMPOTENCY_BY_KEY, {"b_key": key}).first()
                if record is not None:
                    if record.request_hash != checked.request_hash:
                        raise Conflict("this idempotency_key was already used for a different message",
                                       {"idempotency_key": "already used for a different message"})
                    conversation = conn.execute(_STATUS_AND_TOKEN, {"b_id": record.conversation_id}).first()
                    first = conn.execute(_FIRST_MESSAGE, {"b_id": record.conversation_id}).scalar()
                    return IntakeResult(record.message_id, record.conversation_id, record.customer_id,
                                        conversation.status if conversation else OPEN,
                                        conversation.public_token if conversation else "", replayed=True,
                                        created=first == record.message_id)
            known = self._known_sender(conn, identity) if clean["conversation_id"] is None else None
            if known is not None:
                customer_id, state, sender = known
            else:
                customer_id, _ = resolve_customer(conn, identity, now, actor)
                state, sender = self._conversation_for(conn, customer_id, clean["conversation_id"]), None
            team_id = incoming.team_id
            if state is None and team_id is None and actor.kind == "token" and actor.id is not None:
                team_id = conn.execute(_TOKEN_TEAM, {"b_id": actor.id}).scalar()  # the token's team, if any
            result = self._append_customer_message(tx, conn, state, customer_id, clean, now, actor, files,
                                                   meta=incoming.meta, team_id=team_id, sender=sender)
            if key:
                conn.execute(_INSERT_IDEMPOTENCY, {
                    "key": key, "request_hash": checked.request_hash, "message_id": result.message_id,
                    "conversation_id": result.conversation_id, "customer_id": customer_id, "created_at": now})
            return result

    def receive_from_link(self, token: str, body: str,
                          files: list[StagedFile] | tuple[StagedFile, ...] = ()) -> IntakeResult:
        """The customer replies on their own conversation page (/c/<token>), perhaps with files
        (then the text may be empty)."""
        fields: dict[str, str] = {}
        body = require_text(fields, "body", body, MAX_BODY, required=not files)
        if fields:
            raise ValidationFailed("the message was not sent", fields)
        self.files.limits.check_total(list(files))
        return self._receive_from_link(token, body, tuple(files))

    @writes
    def _receive_from_link(self, token: str, body: str, files: tuple[StagedFile, ...]) -> IntakeResult:
        now = self.now()
        with self.db.write() as tx:
            conn = tx.direct()
            state = conn.execute(STATE_BY_TOKEN, {"b_digest": public_token_digest(token)}).first() \
                if token and len(token) <= 64 else None
            if state is None or not token_matches(state.public_token, token):
                raise NotFound("conversation not found")
            if (kept := follow_merges(conn, state.id)) != state.id:  # merged: the reply goes where the thread is
                state = conn.execute(_STATE_BY_ID, {"b_id": kept}).first()
            if state.status == SPAM or self.blocklist.blocks(conn, state.customer_id):  # as an unknown link
                raise NotFound("conversation not found")
            actor = Actor.customer(state.customer_id)
            return self._append_customer_message(tx, conn, state, state.customer_id,
                                                 {"body": body, "channel": "web", "subject": ""}, now, actor, files)

    @staticmethod
    def _known_sender(conn: Connection, identity: CustomerIdentity) -> tuple[int, Row[Any] | None, Sender] | None:
        """For a message naming one identifier a customer already owns, with nothing to add to
        them (resolve_customer's usual case): the customer, their latest unresolved
        conversation and what the webhook payload says of them, in one statement. None otherwise."""
        pairs = identity.pairs()
        if len(pairs) != 1:
            return None
        rows = conn.execute(_KNOWN_SENDER, {"b_kind": pairs[0][0], "b_value": pairs[0][1]}).all()
        if not rows or (identity.name and not rows[0].owner_name):  # new, or a name to fill in
            return None
        identifiers: dict[str, str] = {}
        for row in rows:
            identifiers.setdefault(row.known_kind, row.known_value)
        first = rows[0]
        return first.owner_id, (first if first.id is not None else None), (first.owner_name or "", identifiers)

    @staticmethod
    def _conversation_for(conn: Connection, customer_id: int, wanted: int | None) -> Row[Any] | None:
        """The conversation a customer message belongs to, or None for a new one."""
        if wanted is not None:
            state = conn.execute(_STATE_BY_ID, {"b_id": follow_merges(conn, wanted)}).first()
            # Another customer's conversation looks exactly like a missing one.
            if state is None or state.customer_id != customer_id:
                raise NotFound(f"conversation {wanted} not found")
            return state
        return conn.execute(_LATEST_UNRESOLVED, {"b_customer": customer_id}).first()

    def _append_customer_message(self, tx: Transaction, conn: Connection, state: Row[Any] | None, customer_id: int,
                                 clean: dict[str, Any], now: datetime, actor: Actor,
                                 files: tuple[StagedFile, ...] = (), meta: dict[str, Any] | None = None,
                                 flagged: str = "", team_id: int | None = None,
                                 sender: Sender | None = None) -> IntakeResult:
        """Store a customer message and open its conversation, whatever state it was in
        (channels call this inside their own transaction, with what they know in `meta`). A blocked
        sender's, one in a spam conversation, or one `flagged` as spam (by the mail server) is kept
        in Spam instead, and nothing follows it (services/conversations/spam.py). A new
        conversation goes to `team_id`'s queue (its mailbox's, channel's or token's team). `sender`:
        the customer's name and identifiers when the caller has just read them."""
        if reason := self.spam_reason(conn, state, customer_id, flagged):
            return self._append_spam(tx, conn, state, customer_id, clean, now, files, meta, reason)
        created = state is None
        if state is not None and (choice := choice_answered(conn, state.id, clean["body"])):
            meta = {**(meta or {}), "choice": choice}
        current: Row[Any] | SimpleNamespace
        if state is not None:
            current = state
        else:
            token = new_public_token()
            values = {"customer_id": customer_id, "subject": clean["subject"], "channel": clean["channel"],
                      "status": OPEN, "priority": "normal", "public_token": token,
                      "public_token_digest": public_token_digest(token), "created_at": now, "updated_at": now,
                      "waiting_since": now, "last_message_preview": "", "reopen_count": 0, "team_id": team_id,
                      # A bot that answers this channel first takes it before people see it.
                      "bot_token_id": conn.execute(_FIRST_RESPONDER, {"b_channel": clean["channel"]}).scalar()}
            conversation_id = new_id(conn.execute(_INSERT_CONVERSATION, values))
            current = SimpleNamespace(id=conversation_id, first_reply_at=None, snoozed_until=None, resolved_at=None,
                                      assignee_id=None, **values, **Clocks().values())
            tx.emit(events.CONVERSATION_CREATED, conversation_id)
        written: list[int] = []

        def write_message() -> int:
            message_id = new_id(conn.execute(INSERT_MESSAGE, {
                "conversation_id": current.id, "direction": IN, "kind": REPLY, "channel": clean["channel"],
                "body": clean["body"], "meta": meta, "created_at": now}))
            attached = self.files.attach(conn, message_id, files, now)
            tx.emit(events.MESSAGE_CREATED, current.id, message_id=message_id, direction=IN, kind=REPLY,
                    customer_id=customer_id)
            # Bots and webhooks hear of customer messages too (the events API reads the same outbox).
            enqueue(conn, MESSAGE_RECEIVED, current.id, self.message_payload(
                conn, current, message_id, clean["body"], IN, {"type": "customer", "id": customer_id},
                attached, OPEN, now, sender=sender) | rich_fields(meta), now)
            tx.emit(OUTBOX_ENQUEUED, current.id)
            # One event for the rules: a first message is also "a conversation is created".
            record_for_rules(tx, conn, "customer_message", current.id, now, message_id=message_id, first=created)
            written.append(message_id)
            return message_id

        preview = preview_of(clean["body"]) or ", ".join(f.filename for f in files)[:200]
        change_status(tx, conn, current, OPEN, CUSTOMER, actor, now, self.sla.rules(),
                      customer_message=write_message,
                      also={"last_message_at": now, "last_customer_message_at": now, "last_message_preview": preview})
        if current.bot_token_id and wants_a_person(clean["body"], self.handoff_settings()[0]):
            self.hand_over(tx, conn, load_state(conn, current.id), Actor.system(),
                           "the customer asked for a person", now)
        return IntakeResult(written[0], current.id, customer_id, OPEN, current.public_token, created=created)
