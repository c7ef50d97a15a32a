"""What the team writes in a conversation: public replies (which go out through the
outbox in the same transaction), internal notes (never shown to the customer, no
status change), and how far each agent has read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from helpdesk.events import OUTBOX_ENQUEUED
from helpdesk import events
from helpdesk.db import Transaction
from helpdesk.models import (IN, NOTE, OPEN, OUT, PENDING, REPLY, RESOLVED)
from helpdesk.models.tables import (AGENTS as AGENT, CONVERSATIONS as CONVERSATION, CONVERSATION_READS as READ,
                                   DRAFTS as DRAFT, IDEMPOTENCY_RECORDS as IDEMPOTENCY, MESSAGES as MESSAGE)
from helpdesk.services.automation.record import record as record_for_rules
from helpdesk.services.outbox import enqueue
from helpdesk.services.base import (TEAM, Actor, audit, new_id, require_role, require_scope, require_text, sha256_hex,
                                    writes)
from helpdesk.services.conversations.common import MAX_BODY, ConversationBase, Written, load_state, preview_of
from helpdesk.services.thread_events import INSERT_MESSAGE, insert_event
from helpdesk.services.conversations.status import REPLY as BY_REPLY
from helpdesk.services.conversations.status import change_status
from helpdesk.services.errors import Conflict, NewCustomerMessages, NotFound, ValidationFailed
from helpdesk.services.files import StagedFile
from helpdesk.services import mentions
from helpdesk.services.conversations.choices import check_choices, rich_fields

AFTER_REPLY = (PENDING, RESOLVED, OPEN)  # what a public reply may leave the conversation as

_UNSEEN = select(func.count()).select_from(MESSAGE).where(
    MESSAGE.c.conversation_id == bindparam("b_id"), MESSAGE.c.direction == IN, MESSAGE.c.kind == REPLY,
    MESSAGE.c.id > bindparam("b_seen"))
_DELETE_DRAFT = delete(DRAFT).where(DRAFT.c.agent_id == bindparam("b_agent"),
                                    DRAFT.c.conversation_id == bindparam("b_id"))
_READ_MARK = select(READ.c.last_read_message_id).where(READ.c.agent_id == bindparam("b_agent"),
                                                       READ.c.conversation_id == bindparam("b_id"))


def mark_read(conn: Connection, agent_id: int, conversation_id: int, message_id: int) -> None:
    """Move the agent's read mark forward to message_id (never back)."""
    current = conn.execute(_READ_MARK, {"b_agent": agent_id, "b_id": conversation_id}).scalar()
    if current is None:
        conn.execute(insert(READ).values(agent_id=agent_id, conversation_id=conversation_id,
                                         last_read_message_id=message_id))
    elif current < message_id:
        conn.execute(update(READ).where(and_(READ.c.agent_id == agent_id, READ.c.conversation_id == conversation_id))
                     .values(last_read_message_id=message_id))


class MessagesMixin(ConversationBase):
    def reply(self, conversation_id: int, actor: Actor, body: str, then: str = PENDING,
              seen_message_id: int | None = None, confirm_new_messages: bool = False,
              files: list[StagedFile] | tuple[StagedFile, ...] = (), idempotency_key: str | None = None,
              via: str | None = None, choices: list[str] | tuple[str, ...] | None = None) -> Written:
        """A public reply, perhaps with files. `then` is what happens to the conversation:
        pending (waits on the customer), resolved, or open (keep open). It leaves through its
        delivery row, written in the same transaction: by `via` when the agent picked a channel
        the customer has ("reply by SMS instead"), else where the customer last wrote from.

        If `seen_message_id` is given and customer messages newer than it exist, the reply
        is refused with NewCustomerMessages unless `confirm_new_messages`. The same
        `idempotency_key` (per author) again returns the first reply and sends nothing.
        `choices`: answers the customer can tap (buttons, Telegram's keyboard, "Reply 1 or 2")."""
        require_role(actor, *TEAM, doing="reply to a customer")
        require_scope(actor, "reply", "reply to a customer")
        fields: dict[str, str] = {}
        body = require_text(fields, "body", body, MAX_BODY, required=not files)
        if then not in AFTER_REPLY:
            fields["then"] = "must be pending, resolved or open"
        if idempotency_key is not None and not 0 < len(idempotency_key) <= 200:
            fields["idempotency_key"] = "must be 1 to 200 characters"
        offered = check_choices(fields, choices)
        if fields:
            raise ValidationFailed("the reply was not sent", fields)
        self.files.limits.check_total(list(files))
        return self._reply(conversation_id, actor, body, then, seen_message_id, confirm_new_messages, tuple(files),
                           idempotency_key, via, {"choices": offered} if offered else None)

    def reply_options(self, conversation_id: int) -> list[str]:
        """The channels a reply to this conversation could leave by, the default first."""
        with self.db.read() as s:
            conn = s.connection()
            return self.deliveries.options(conn, load_state(conn, conversation_id))

    @writes
    def _reply(self, conversation_id: int, actor: Actor, body: str, then: str, seen_message_id: int | None,
               confirm_new_messages: bool, files: tuple[StagedFile, ...], idempotency_key: str | None,
               via: str | None = None, meta: dict[str, Any] | None = None) -> Written:
        now = self.now()
        key = f"reply:{actor.kind}:{actor.id}:{idempotency_key}" if idempotency_key else None
        request_hash = sha256_hex(f"{conversation_id}\n{then}\n{body}\n{[f.sha256 for f in files]}"
                                  + (f"\n{meta}" if meta else "")) if key else ""
        with self.db.write() as tx:
            conn = tx.session.connection()
            if key and (replay := self._replayed(conn, key, request_hash)) is not None:
                return replay
            state = load_state(conn, conversation_id)
            if seen_message_id is not None and not confirm_new_messages:
                unseen = conn.execute(_UNSEEN, {"b_id": conversation_id, "b_seen": seen_message_id}).scalar_one()
                if unseen:
                    raise NewCustomerMessages(unseen)
            written = self.reply_in(tx, conn, state, actor, body, then, files, via, meta, now)
            if key:
                conn.execute(insert(IDEMPOTENCY).values(key=key, request_hash=request_hash, message_id=written.message_id,
                                                        conversation_id=conversation_id,
                                                        customer_id=state.customer_id, created_at=now))
            return written

    def reply_in(self, tx: Transaction, conn: Connection, state: Any, actor: Actor, body: str, then: str,
                 files: tuple[StagedFile, ...], via: str | None, meta: dict[str, Any] | None, now: datetime) -> Written:
        """A public reply inside the caller's write (a payment request's card is one)."""
        conversation_id = state.id
        if state.bot_token_id and actor.kind == "agent":  # a person answering takes over from the bot
            self.hand_over(tx, conn, state, actor, "answered the customer", now,
                           text=f"{actor.name} took over from the bot")
            state = load_state(conn, conversation_id)
        channel = self.deliveries.choose(conn, state, now, via)
        message_id = new_id(conn.execute(INSERT_MESSAGE, {
            "conversation_id": conversation_id, "direction": OUT, "kind": REPLY,
            "author_agent_id": actor.agent_id, "author_token_id": actor.token_id, "channel": channel,
            "body": body, "meta": meta, "created_at": now}))
        attached = self.files.attach(conn, message_id, files, now)
        delivery = self.deliveries.record(conn, message_id, channel, now)
        # The first response a person gives is what reports and targets measure; a bot's is not.
        first_reply = state.first_reply_at or (now if actor.kind == "agent" else None)
        also: dict[str, object] = {"waiting_since": None, "first_reply_at": first_reply, "last_message_at": now,
                                   "last_message_preview": preview_of(body) or ", ".join(f.filename for f in files),
                                   "last_message_id": message_id}
        if state.assignee_id is None and actor.agent_id is not None:
            also["assignee_id"] = actor.agent_id
            insert_event(conn, conversation_id, now, f"{actor.name} took this conversation by replying", actor,
                         event="assigned", to=actor.agent_id, by=actor.agent_id)
            audit(conn, now, actor, "conversation.assigned", conversation_id, old=None, new=actor.agent_id)
        change_status(tx, conn, state, then, BY_REPLY, actor, now, self.sla.rules(), also=also)
        self._after_writing(tx, conn, actor, conversation_id, message_id, now)
        # The reply goes out to webhooks from the outbox, written in this same transaction.
        author = {"type": "bot" if actor.kind == "token" else actor.type, "id": actor.id, "name": actor.name}
        enqueue(conn, "message.created", conversation_id, {**self.message_payload(
            conn, state, message_id, body, OUT, author, attached, then, now, with_link=True),
            **rich_fields(meta), "delivery": {"channel": delivery.channel, "status": delivery.status}}, now)
        tx.emit(OUTBOX_ENQUEUED, conversation_id)
        tx.emit(events.MESSAGE_CREATED, conversation_id, message_id=message_id, direction=OUT, kind=REPLY,
                agent_id=actor.agent_id)
        record_for_rules(tx, conn, "agent_replied", conversation_id, now, message_id=message_id, by=actor.kind,
                         via_rules=list(actor.via_rules))
        return Written(message_id, then, delivery)

    def _replayed(self, conn: Connection, key: str, request_hash: str) -> Written | None:
        record = conn.execute(select(IDEMPOTENCY).where(IDEMPOTENCY.c.key == key)).first()
        if record is None:
            return None
        if record.request_hash != request_hash:
            raise Conflict("this idempotency_key was already used for a different reply",
                           {"idempotency_key": "already used for a different reply"})
        status = conn.execute(select(CONVERSATION.c.status).where(CONVERSATION.c.id == record.conversation_id)).scalar()
        delivery = self.deliveries.of_message_in(conn, record.message_id)
        return Written(record.message_id, status or "", delivery)

    def add_note(self, conversation_id: int, actor: Actor, body: str,
                 files: list[StagedFile] | tuple[StagedFile, ...] = ()) -> Written:
        """An internal note (files allowed): never shown to the customer, changes no status."""
        require_role(actor, *TEAM, doing="add a note")
        require_scope(actor, "reply", "add a note")
        fields: dict[str, str] = {}
        body = require_text(fields, "body", body, MAX_BODY, required=not files)
        if fields:
            raise ValidationFailed("the note was not saved", fields)
        self.files.limits.check_total(list(files))
        return self._add_note(conversation_id, actor, body, tuple(files))

    @writes
    def _add_note(self, conversation_id: int, actor: Actor, body: str, files: tuple[StagedFile, ...]) -> Written:
        with self.db.write() as tx:
            conn = tx.session.connection()
            return self.note_in(tx, conn, load_state(conn, conversation_id), actor, body, self.now(), files)

    def note_in(self, tx: Transaction, conn: Connection, state: Any, actor: Actor, body: str, now: datetime,
                files: tuple[StagedFile, ...] = (), meta: dict[str, Any] | None = None) -> Written:
        """An internal note inside the caller's write (a rule's note carries the rule in `meta`)."""
        conversation_id = state.id
        message_id = new_id(conn.execute(INSERT_MESSAGE, {
            "conversation_id": conversation_id, "direction": OUT, "kind": NOTE,
            "author_agent_id": actor.agent_id, "author_token_id": actor.token_id, "channel": "note",
            "body": body, "meta": meta, "created_at": now}))
        attached = self.files.attach(conn, message_id, files, now)
        conn.execute(update(CONVERSATION).where(CONVERSATION.c.id == conversation_id).values(
            last_message_preview=preview_of("Note: " + (body or ", ".join(f.filename for f in files))),
            updated_at=now, last_message_id=message_id))
        self._after_writing(tx, conn, actor, conversation_id, message_id, now)
        if "@" in body:  # someone named: they hear of it wherever they are
            author = {"type": actor.type, "id": actor.id, "name": actor.name}
            mentions.record(tx, conn, state, message_id, body, actor, now, self.message_payload(
                conn, state, message_id, body, OUT, author, attached, state.status, now),
                self.sla.rules().calendar_of(state.team_id))
        tx.emit(events.MESSAGE_CREATED, conversation_id, message_id=message_id, direction=OUT, kind=NOTE,
                agent_id=actor.agent_id)
        tx.emit(events.CONVERSATION_UPDATED, conversation_id, status=state.status)
        return Written(message_id, state.status)

    def automatic_reply_in(self, tx: Transaction, conn: Connection, state: Any, body: str, now: datetime,
                           meta: dict[str, Any]) -> Written:
        """An automatic public reply (an automation rule's), inside the caller's write. It goes out
        like any reply (its delivery row, the webhooks), but it is not an answer: the status, the
        wait, the response-time clocks, the first reply and the inbox's order stay as they were.
        `meta` says it is automatic, so mail carries Auto-Submitted and reports leave it out.
        A channel that refuses it (an SMS opt-out, WhatsApp's 24 hours) raises Conflict in words."""
        channel = self.deliveries.choose(conn, state, now, None)
        message_id = new_id(conn.execute(INSERT_MESSAGE, {
            "conversation_id": state.id, "direction": OUT, "kind": REPLY, "channel": channel, "body": body,
            "meta": meta, "created_at": now}))
        delivery = self.deliveries.record(conn, message_id, channel, now)
        conn.execute(update(CONVERSATION).where(CONVERSATION.c.id == state.id).values(
            updated_at=now, last_message_id=message_id))
        author = {"type": "system", "id": None, "name": meta.get("rule_title", "Helpdesk")}
        enqueue(conn, "message.created", state.id, {**self.message_payload(
            conn, state, message_id, body, OUT, author, [], state.status, now, with_link=True),
            **rich_fields(meta), "automatic": True,
            "delivery": {"channel": delivery.channel, "status": delivery.status}}, now)
        tx.emit(OUTBOX_ENQUEUED, state.id)
        tx.emit(events.MESSAGE_CREATED, state.id, message_id=message_id, direction=OUT, kind=REPLY, automatic=True)
        tx.emit(events.CONVERSATION_UPDATED, state.id, status=state.status)
        return Written(message_id, state.status, delivery)

    @staticmethod
    def _after_writing(tx: Transaction, conn: Connection, actor: Actor, conversation_id: int, message_id: int,
                       now: datetime) -> None:
        """The writer's draft is done, the thread is read up to what they wrote, and what named them in it is read."""
        if actor.agent_id is None:
            return
        conn.execute(_DELETE_DRAFT, {"b_agent": actor.agent_id, "b_id": conversation_id})
        mark_read(conn, actor.agent_id, conversation_id, message_id)
        mentions.read_in(tx, conn, actor.agent_id, conversation_id, now)
        tx.emit(events.DRAFT_SAVED, conversation_id, agent_id=actor.agent_id, body="")

    @writes
    def mark_read(self, conversation_id: int, agent_id: int, resume_here: bool = False) -> None:
        """The agent has read the conversation to its end; `resume_here` also makes it where the
        agent's next sign-in, on any device, opens."""
        with self.db.write() as tx:
            conn = tx.session.connection()
            row = conn.execute(select(CONVERSATION.c.last_message_id).where(CONVERSATION.c.id == conversation_id)).first()
            if row is None:
                raise NotFound(f"conversation {conversation_id} not found")
            mark_read(conn, agent_id, conversation_id, row.last_message_id or 0)
            mentions.read_in(tx, conn, agent_id, conversation_id, self.now())
            if resume_here:
                conn.execute(update(AGENT).where(AGENT.c.id == agent_id).values(last_conversation_id=conversation_id))
