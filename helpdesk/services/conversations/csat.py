"""Customer satisfaction: after a resolution, the customer rates the help 1 to 5 on their
own page, once per resolution (a reopened and resolved-again conversation may be rated again)."""

from __future__ import annotations

from sqlmodel import select

from helpdesk import events
from helpdesk.models import RESOLVED, Conversation, CsatRating
from helpdesk.services.base import Actor, audit, require_text, stored_id, writes
from helpdesk.services.conversations.common import ConversationBase
from helpdesk.services.thread_events import insert_event
from helpdesk.services.errors import Conflict, NotFound, ValidationFailed


class CsatMixin(ConversationBase):
    def rate(self, token: str, rating: int, comment: str = "") -> CsatRating:
        """The customer rates the help (1-5) after a resolution; once per resolution."""
        fields: dict[str, str] = {}
        if not isinstance(rating, int) or not 1 <= rating <= 5:
            fields["rating"] = "must be 1, 2, 3, 4 or 5"
        comment = require_text(fields, "comment", comment, 2000, required=False)
        if fields:
            raise ValidationFailed("the rating was not saved", fields)
        return self._rate(token, rating, comment)

    @writes
    def _rate(self, token: str, rating: int, comment: str) -> CsatRating:
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
            conversation_id = stored_id(conversation)
            rated = CsatRating(conversation_id=conversation_id, resolved_at=conversation.resolved_at, rating=rating,
                               comment=comment, created_at=now)
            s.add(rated)
            s.flush()
            customer = Actor.customer(conversation.customer_id)
            text = f"Customer rated the help {rating}/5" + (f": {comment}" if comment else "")
            insert_event(s.connection(), conversation_id, now, text, customer, event="csat", rating=rating)
            audit(s, now, customer, "conversation.rated", conversation.id, rating=rating)
            tx.emit(events.CONVERSATION_UPDATED, conversation.id, rating=rating)
            return rated

    def rating_for_current_resolution(self, conversation: Conversation) -> CsatRating | None:
        if conversation.status != RESOLVED or conversation.resolved_at is None:
            return None
        with self.db.read() as s:
            return s.exec(select(CsatRating).where(CsatRating.conversation_id == conversation.id,
                                                   CsatRating.resolved_at == conversation.resolved_at)).first()
