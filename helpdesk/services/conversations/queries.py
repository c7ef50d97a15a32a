"""Reading conversations: one with its thread, the customer's view through their link,
filtered lists paged by key, and tags."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field, replace

from sqlalchemy import func, select as select_core
from sqlmodel import Session, col, select

from helpdesk.models import (EMAIL, EVENT, NOTE, PRIORITIES, REPLY, SPAM, STATUSES, Agent, Conversation, ConversationTag,
                             Customer, CustomerIdentifier, Message, Tag)
from helpdesk.services.conversations.common import (MAX_LIST, ConversationBase, ConversationDetail,
                                                    public_token_digest, token_matches)
from helpdesk.models.tables import API_TOKENS as TOKENS, PAYMENT_REQUESTS as PAYMENT
from helpdesk.services.base import stored_id
from helpdesk.services.customers import CustomerProfile, load_profile, normalize_email
from helpdesk.services.errors import NotFound, ValidationFailed
from helpdesk.services.payments.card import card_of
from helpdesk.services.sla import SlaRules



@dataclass
class ConversationFilter:
    status: str | None = None
    customer_email: str | None = None
    customer_id: int | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    priority: str | None = None
    tag: str | None = None
    spam: bool = False  # the conversations in Spam, instead of the others
    team_id: int | None = None


@dataclass
class ConversationPage:
    conversations: list[Conversation]
    next_cursor: int | None
    customers: dict[int, CustomerProfile]
    tags: dict[int, list[str]]
    last_is_note: set[int] = field(default_factory=set)  # conversations whose latest message is internal


def tag_names(s: Session, conversation_ids: list[int]) -> dict[int, list[str]]:
    """Each conversation's tags, alphabetically."""
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


class QueriesMixin(ConversationBase):
    def get(self, conversation_id: int, public_only: bool = False) -> ConversationDetail:
        """A conversation with its whole thread in order (public replies only if asked)."""
        with self.db.read() as s:
            conversation = s.get(Conversation, conversation_id)
            if conversation is None:
                raise NotFound(f"conversation {conversation_id} not found")
            return self._detail(s, conversation, public_only)

    def get_row(self, conversation_id: int) -> Conversation:
        """The conversation's own columns, without its thread."""
        with self.db.read() as s:
            conversation = s.get(Conversation, conversation_id)
            if conversation is None:
                raise NotFound(f"conversation {conversation_id} not found")
            return conversation

    def get_by_token(self, token: str) -> ConversationDetail:
        """The customer's view through their link: public messages only."""
        with self.db.read() as s:
            conversation = self._by_token(s, token)
            if conversation is None or self.blocklist.blocks(s.connection(), conversation.customer_id):
                raise NotFound("conversation not found")
            return self._detail(s, conversation, public_only=True)

    def conversation_id_by_token(self, token: str) -> int:
        """The conversation a customer link opens (NotFound as get_by_token)."""
        with self.db.read() as s:
            conversation = self._by_token(s, token)
            if conversation is None or self.blocklist.blocks(s.connection(), conversation.customer_id):
                raise NotFound("conversation not found")
            return stored_id(conversation)

    def link_opens(self, token: str) -> bool:
        """Whether a customer link opens a conversation (checked before a request's body is read).
        A blocked sender's links answer as unknown ones do."""
        with self.db.read() as s:
            conversation = self._by_token(s, token)
            return conversation is not None and not self.blocklist.blocks(s.connection(), conversation.customer_id)

    @staticmethod
    def _by_token(s: Session, token: str) -> Conversation | None:
        if not token or len(token) > 64:
            return None
        conversation = s.exec(select(Conversation).where(
            Conversation.public_token_digest == public_token_digest(token))).first()
        if conversation is None or not token_matches(conversation.public_token, token):
            return None
        for _ in range(20):  # a merged conversation's link shows the one it was merged into
            if conversation.merged_into_id is None:
                break
            conversation = s.get(Conversation, conversation.merged_into_id) or conversation
        # Spam answers as an unknown link does: a blocked sender learns nothing (an erased
        # customer's links were replaced by unknown ones).
        return None if conversation.status == SPAM else conversation

    def refresh(self, previous: ConversationDetail) -> ConversationDetail:
        """The conversation read before as `previous`, as it is now: its row, tags and customer
        anew, and of its thread only the messages written since, with the current delivery of
        every reply (a live refresh of a long thread reads a few rows, not hundreds). Read whole
        when its earlier messages changed (another conversation merged into it)."""
        conversation_id = previous.conversation.id
        last = stored_id(previous.messages[-1]) if previous.messages else 0
        with self.db.read() as s:
            conversation = s.get(Conversation, conversation_id)
            if conversation is None:
                raise NotFound(f"conversation {conversation_id} not found")
            earlier = s.execute(select(func.count()).select_from(Message).where(
                Message.conversation_id == conversation_id, col(Message.id) <= last)).scalar_one()
            if earlier != len(previous.messages):
                return self._detail(s, conversation, public_only=False)
            new = self._detail(s, conversation, public_only=False, after_id=last, every_kind=True)
        replies = [stored_id(m) for m in previous.messages if m.kind != EVENT]
        return replace(new, messages=previous.messages + new.messages, agents={**previous.agents, **new.agents},
                       bots={**previous.bots, **new.bots}, bot_display={**previous.bot_display, **new.bot_display},
                       attachments={**previous.attachments, **new.attachments},
                       deliveries={**self.deliveries.of_messages(replies), **new.deliveries})

    def _detail(self, s: Session, conversation: Conversation, public_only: bool, after_id: int = 0,
                limit: int | None = None, every_kind: bool = False) -> ConversationDetail:
        query = select(Message).where(Message.conversation_id == conversation.id, col(Message.id) > after_id)
        if public_only:
            query = query.where(Message.kind == REPLY)
        elif after_id and not every_kind:  # an incremental read for a bot: what people and customers wrote, not system events
            query = query.where(Message.kind != EVENT)
        query = query.order_by(col(Message.id))
        messages = list(s.exec(query.limit(limit) if limit else query).all())
        customer = s.get_one(Customer, conversation.customer_id)  # every conversation has its customer
        author_ids = {m.author_agent_id for m in messages if m.author_agent_id}
        if conversation.assignee_id:
            author_ids.add(conversation.assignee_id)
        agents = {stored_id(a): a for a in s.exec(select(Agent).where(col(Agent.id).in_(author_ids))).all()} \
            if author_ids else {}
        bot_ids = {m.author_token_id for m in messages if m.author_token_id}
        tokens = s.execute(select_core(TOKENS.c.id, TOKENS.c.name, TOKENS.c.display_name).where(
            TOKENS.c.id.in_(bot_ids))).all() if bot_ids else []
        bots = {t.id: t.name for t in tokens}
        ids = [stored_id(m) for m in messages if m.kind != EVENT]
        # Payment cards: only a thread that has one pays for the query.
        card_ids = [stored_id(m) for m in messages if m.meta and m.meta.get("payment_request_id") and m.kind != EVENT]
        payments = {r.message_id: card_of(r, self.now()) for r in s.execute(
            select_core(PAYMENT).where(PAYMENT.c.message_id.in_(card_ids))).all()} if card_ids else {}
        return ConversationDetail(
            conversation=conversation, customer=load_profile(s, customer),
            messages=messages, tags=tag_names(s, [stored_id(conversation)]).get(stored_id(conversation), []),
            assignee=agents.get(conversation.assignee_id) if conversation.assignee_id else None,
            agents=agents, due=SlaRules.due_of(conversation, self.now()), bots=bots,
            bot_display={t.id: t.display_name for t in tokens},
            attachments=self.files.of_messages(ids), deliveries=self.deliveries.of_messages(ids),
            payments=payments)

    def messages_after(self, conversation_id: int, after_id: int = 0, include_notes: bool = False,
                       limit: int = 200) -> ConversationDetail:
        """The conversation with only its messages after `after_id` (for incremental reads)."""
        with self.db.read() as s:
            conversation = s.get(Conversation, conversation_id)
            if conversation is None:
                raise NotFound(f"conversation {conversation_id} not found")
            detail = self._detail(s, conversation, public_only=not include_notes, after_id=after_id, limit=limit)
        return detail

    def list(self, filters: ConversationFilter, limit: int = 50, before_id: int | None = None) -> ConversationPage:
        """Conversations matching the filters, newest first, paged by id (keyset)."""
        limit = max(1, min(limit, MAX_LIST))
        query = select(Conversation).where(col(Conversation.merged_into_id).is_(None))
        query = query.where(Conversation.status == SPAM) if filters.spam else query.where(Conversation.status != SPAM)
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
        if filters.team_id is not None:
            query = query.where(Conversation.team_id == filters.team_id)
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
            customers = {stored_id(c): load_profile(s, c) for c in
                         s.exec(select(Customer).where(col(Customer.id).in_(customer_ids))).all()}
            tags = tag_names(s, [stored_id(c) for c in rows])
            last_ids = [c.last_message_id for c in rows if c.last_message_id]
            notes = set(s.exec(select(Message.conversation_id).where(col(Message.id).in_(last_ids),
                                                                     Message.kind == NOTE)).all()) if last_ids else set()
        return ConversationPage(conversations=rows, next_cursor=rows[-1].id if more else None,
                                customers=customers, tags=tags, last_is_note=notes)

    def tags_of(self, conversation_id: int) -> builtins.list[str]:
        with self.db.read() as s:
            return tag_names(s, [conversation_id]).get(conversation_id, [])

    def all_tags(self) -> builtins.list[str]:
        with self.db.read() as s:
            return list(s.exec(select(Tag.name).order_by(Tag.name)).all())
