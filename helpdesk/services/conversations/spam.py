"""Spam: a conversation an agent marked, or a blocked sender's (services/blocklist.py), or a mail its
server flagged. It leaves every inbox view for the Spam view; its clocks stop; no rule, auto-reply,
rating request, webhook or notification follows its messages; reports leave it out; after
SPAM_KEEP_DAYS it is erased (services/privacy). "Not spam" puts it back, open, its clocks running."""

from __future__ import annotations

from typing import Any

from datetime import datetime, timedelta

from sqlalchemy import Row, select
from sqlalchemy.engine import Connection

from helpdesk import events
from helpdesk.db import Transaction
from helpdesk.models import IN, OPEN, REPLY, SPAM
from helpdesk.models.tables import CONVERSATIONS as CONVERSATION
from helpdesk.services.base import TEAM, Actor, audit, new_id, require_role, writes
from helpdesk.services.conversations.common import (ConversationBase, load_state, new_public_token, preview_of,
                                                    public_token_digest)
from helpdesk.services.thread_events import INSERT_MESSAGE
from helpdesk.services.conversations.intake import _INSERT_CONVERSATION, IntakeResult
from helpdesk.services.conversations.status import SPAM_CAUSE, change_status
from helpdesk.services.files import StagedFile

SPAM_KEEP_DAYS = 30


class SpamMixin(ConversationBase):
    def mark_spam(self, conversation_id: int, actor: Actor, block: list[tuple[str, str]] | None = None) -> None:
        """Out of the inbox into Spam; `block`: senders to block with it ([("email", "x@y.z")])."""
        require_role(actor, *TEAM, doing="mark conversations as spam")
        for kind, value in block or ():
            self.blocklist.normal(kind, value)  # refuse before anything changes
        self._set_spam(conversation_id, actor, SPAM)
        for kind, value in block or ():
            if not self.blocklist.listed(kind, self.blocklist.normal(kind, value)):
                self.blocklist.block(kind, value, actor)

    def not_spam(self, conversation_id: int, actor: Actor, unblock: bool = False) -> None:
        """Back in the inbox, open; `unblock`: the customer's blocklist entries go too."""
        require_role(actor, *TEAM, doing="take conversations out of spam")
        self._set_spam(conversation_id, actor, OPEN)
        if unblock:
            self.blocklist.unblock_customer(self.get_row(conversation_id).customer_id, actor)

    @writes
    def _set_spam(self, conversation_id: int, actor: Actor, new: str) -> None:
        with self.db.write() as tx:
            conn = tx.session.connection()
            state = load_state(conn, conversation_id)
            if (state.status == SPAM) == (new == SPAM):
                return  # already where it was asked to be
            change_status(tx, conn, state, new, SPAM_CAUSE, actor, self.now(), self.sla.rules())

    def spam_reason(self, conn: Connection, state: Row[Any] | None, customer_id: int, flagged: str) -> str:
        """Why a customer message goes to Spam, or "" when it does not."""
        if flagged:
            return flagged
        if state is not None and state.status == SPAM:
            return "in spam"
        return "blocked sender" if self.blocklist.blocks(conn, customer_id) else ""

    def _append_spam(self, tx: Transaction, conn: Connection, state: Row[Any] | None, customer_id: int, clean: dict[str, Any],
                     now: datetime, files: tuple[StagedFile, ...], meta: dict[str, Any] | None, reason: str) -> IntakeResult:
        """A customer message kept in Spam: written with its files, and nothing else happens."""
        created = state is None
        if state is None:
            token = new_public_token()
            conversation_id = new_id(conn.execute(_INSERT_CONVERSATION, {
                "customer_id": customer_id, "subject": clean["subject"], "channel": clean["channel"], "status": SPAM,
                "priority": "normal", "public_token": token, "public_token_digest": public_token_digest(token),
                "created_at": now, "updated_at": now, "last_message_preview": "", "reopen_count": 0,
                "spam_at": now}))
            audit(conn, now, Actor.system(), "conversation.spam", conversation_id, reason=reason)
        else:
            conversation_id, token = state.id, state.public_token
            if state.status != SPAM:  # a flagged mail or a blocked sender in a conversation that was not spam
                change_status(tx, conn, state, SPAM, SPAM_CAUSE, Actor.system(), now, self.sla.rules(),
                              text=f"Moved to spam: {reason}")
        message_id = new_id(conn.execute(INSERT_MESSAGE, {
            "conversation_id": conversation_id, "direction": IN, "kind": REPLY, "channel": clean["channel"],
            "body": clean["body"], "meta": {**(meta or {}), "spam": reason}, "created_at": now}))
        self.files.attach(conn, message_id, files, now)
        preview = preview_of(clean["body"]) or ", ".join(f.filename for f in files)[:200]
        conn.execute(CONVERSATION.update().where(CONVERSATION.c.id == conversation_id).values(
            last_message_at=now, last_customer_message_at=now, last_message_preview=preview,
            last_message_id=message_id, updated_at=now))
        tx.emit(events.CONVERSATION_UPDATED, conversation_id, status=SPAM)  # the Spam view; no notification
        return IntakeResult(message_id, conversation_id, customer_id, SPAM, token, created=created)

    def spam_older_than(self, days: int = SPAM_KEEP_DAYS) -> list[int]:
        """Spam conversations marked more than `days` ago and quiet since (erased by the daily job)."""
        cutoff = self.now() - timedelta(days=days)
        with self.db.read() as s:
            return list(s.execute(select(CONVERSATION.c.id).where(
                CONVERSATION.c.status == SPAM, CONVERSATION.c.spam_at <= cutoff,
                CONVERSATION.c.last_message_at <= cutoff,
                CONVERSATION.c.last_message_preview != "",  # erased already
            ).order_by(CONVERSATION.c.id).limit(500)).scalars())
