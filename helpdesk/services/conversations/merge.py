"""Merging two conversations of one customer (the same question asked by mail and on the
website, or a new mail subject about an old order): the messages, notes and events of one
move into the other, which says so in its thread. The merged one is resolved and remembers
where it went, so its customer link, its mail threading and its API id still lead there."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select, update

from helpdesk import events
from helpdesk.models import IN, NOTE, OPEN, RESOLVED
from helpdesk.models.tables import (CONVERSATIONS as CONVERSATION, CONVERSATION_READS, CONVERSATION_TAGS as TAGS,
                                   DRAFTS, IDEMPOTENCY_RECORDS, MAIL_RECORDS, MESSAGES as MESSAGE, PAYMENT_REQUESTS)
from helpdesk.services.base import TEAM, Actor, audit, require_role, writes
from helpdesk.services.conversations.common import ConversationBase, load_state, preview_of
from helpdesk.services.thread_events import insert_event
from helpdesk.services.conversations.status import AGENT, change_status
from helpdesk.services.errors import Conflict, ValidationFailed
from sqlalchemy.engine import Connection



class MergeMixin(ConversationBase):
    def merge(self, source_id: int, target_id: int, actor: Actor) -> None:
        """Move conversation `source_id` into `target_id` (both the same customer's)."""
        require_role(actor, *TEAM, doing="merge conversations")
        if source_id == target_id:
            raise ValidationFailed("a conversation cannot be merged into itself", {"into": "must be another one"})
        self._merge(source_id, target_id, actor)

    @writes
    def _merge(self, source_id: int, target_id: int, actor: Actor) -> None:
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            source, target = load_state(conn, source_id), load_state(conn, target_id)
            merged = dict(conn.execute(select(CONVERSATION.c.id, CONVERSATION.c.merged_into_id).where(
                CONVERSATION.c.id.in_((source_id, target_id)))).all())
            if merged.get(source_id) or merged.get(target_id):
                raise Conflict("that conversation was already merged into another",
                               {"into": "already merged"})
            if source.customer_id != target.customer_id:
                raise Conflict("only one customer's conversations can be merged", {"into": "another customer's"})
            for table in (MESSAGE, MAIL_RECORDS, IDEMPOTENCY_RECORDS,
                          PAYMENT_REQUESTS):  # (its reference keeps the old number)
                conn.execute(update(table).where(table.c.conversation_id == source_id)
                             .values(conversation_id=target_id))
            have = set(conn.execute(select(TAGS.c.tag_id).where(TAGS.c.conversation_id == target_id)).scalars())
            moving = [t for t in conn.execute(select(TAGS.c.tag_id).where(TAGS.c.conversation_id == source_id))
                      .scalars() if t not in have]
            if moving:
                conn.execute(insert(TAGS), [{"conversation_id": target_id, "tag_id": t} for t in moving])
            for table in (DRAFTS, CONVERSATION_READS):
                conn.execute(delete(table).where(table.c.conversation_id == source_id))
            # The merged one: resolved, empty but for the note of where everything went.
            label = f"#{source_id}" + (f" “{source.subject}”" if source.subject else "")
            if source.status != RESOLVED:
                change_status(tx, conn, source, RESOLVED, AGENT, actor, now, self.sla.rules(),
                              text=f"Merged into #{target_id} by {actor.name or 'Helpdesk'}")
            else:
                insert_event(conn, source_id, now, f"Merged into #{target_id} by {actor.name or 'Helpdesk'}", actor,
                             event="merged_into", into=target_id)
            conn.execute(update(CONVERSATION).where(CONVERSATION.c.id == source_id).values(
                merged_into_id=target_id, last_message_preview=f"Merged into #{target_id}", updated_at=now))
            # The one kept: the customer who was waiting there still waits, now here.
            also = self._latest(conn, target_id)
            waiting = [w for w in (source.waiting_since, target.waiting_since) if w is not None]
            if source.waiting_since is not None:
                also["waiting_since"] = min(waiting)
                change_status(tx, conn, load_state(conn, target_id), OPEN, AGENT, actor, now, self.sla.rules(),
                              text=f"Opened by merging {label}: the customer is waiting", also=also)
            else:
                conn.execute(update(CONVERSATION).where(CONVERSATION.c.id == target_id).values(updated_at=now, **also))
            insert_event(conn, target_id, now, f"{actor.name or 'Helpdesk'} merged {label} into this conversation",
                         actor, event="merged", source=source_id)
            audit(conn, now, actor, "conversation.merged", target_id, source=source_id)
            for conversation_id in (source_id, target_id):
                tx.emit(events.CONVERSATION_UPDATED, conversation_id, merged=True)

    @staticmethod
    def _latest(conn: Connection, conversation_id: int) -> dict[str, Any]:
        """The thread's latest message and customer message, after others moved in."""
        last = conn.execute(select(MESSAGE.c.id, MESSAGE.c.body, MESSAGE.c.created_at).where(
            MESSAGE.c.conversation_id == conversation_id, MESSAGE.c.kind != "event", MESSAGE.c.kind != NOTE)
            .order_by(MESSAGE.c.created_at.desc(), MESSAGE.c.id.desc()).limit(1)).first()
        last_in = conn.execute(select(func.max(MESSAGE.c.created_at)).where(
            MESSAGE.c.conversation_id == conversation_id, MESSAGE.c.direction == IN)).scalar()
        if last is None:
            return {}
        return {"last_message_id": last.id, "last_message_at": last.created_at,
                "last_message_preview": preview_of(last.body), "last_customer_message_at": last_in}
