"""Search across all history: message text (replies and notes), subjects, customer
names and identifiers. Ranked, with highlighted snippets, each hit pointing at the
conversation and (for messages) the message to open the thread at."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from helpdesk.db import fts
from helpdesk.models import (EMAIL, PHONE, Conversation, Customer, CustomerIdentifier, Message)
from helpdesk.services.base import Service
from helpdesk.services.customers import normalize_email, normalize_phone

MAX_RESULTS = 50


@dataclass
class SearchHit:
    kind: str  # message | note | subject | customer
    conversation_id: int | None
    message_id: int | None
    customer_id: int
    customer_name: str
    subject: str
    status: str | None
    at: datetime | None
    # The snippet as (text, is_match) pieces, so HTML and Flet can each highlight safely.
    segments: list[tuple[str, bool]] = field(default_factory=list)

    @property
    def snippet(self) -> str:
        return "".join(text for text, _ in self.segments)


def split_snippet(snippet: str) -> list[tuple[str, bool]]:
    segments: list[tuple[str, bool]] = []
    for i, part in enumerate(re.split(f"[{fts.HIT_START}{fts.HIT_END}]", snippet)):
        if part:
            segments.append((part, i % 2 == 1))
    return segments


class SearchService(Service):
    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        query = (query or "").strip()[:200]
        limit = max(1, min(limit, MAX_RESULTS))
        expression = fts.match_expression(query)
        if expression is None:
            return []
        with self.db.read() as s:
            hits = self._identifier_hits(s, query)
            seen_customers = {h.customer_id for h in hits}
            ranked: list[tuple[float, SearchHit]] = []
            for text_hit in fts.search_messages(s, expression, limit):
                hit = self._message_hit(s, text_hit)
                if hit:
                    ranked.append((text_hit.rank, hit))
            for text_hit in fts.search_conversation_subjects(s, expression, limit):
                conversation = s.get(Conversation, text_hit.id)
                if conversation:
                    ranked.append((text_hit.rank, self._conversation_hit(s, conversation, "subject",
                                                                         split_snippet(text_hit.snippet))))
            for text_hit in fts.search_customers(s, expression, limit):
                if text_hit.id in seen_customers:
                    continue
                hit = self._customer_hit(s, text_hit.id, split_snippet(text_hit.snippet))
                if hit:
                    ranked.append((text_hit.rank, hit))
            ranked.sort(key=lambda pair: pair[0])  # bm25: lower is better
            hits.extend(hit for _, hit in ranked)
        return hits[:limit]

    def _identifier_hits(self, s: Session, query: str) -> list[SearchHit]:
        """An exact email or phone number finds its customer first, however it is typed."""
        candidates = []
        email = normalize_email(query)
        if email:
            candidates.append((EMAIL, email))
        phone = normalize_phone(query, self.settings.default_phone_region) if re.search(r"\d{5}", re.sub(r"\D", "", query)) and not email else None
        if phone:
            candidates.append((PHONE, phone))
        hits = []
        for kind, value in candidates:
            customer_id = s.exec(select(CustomerIdentifier.customer_id).where(
                CustomerIdentifier.kind == kind, CustomerIdentifier.value == value)).first()
            if customer_id is not None:
                hit = self._customer_hit(s, customer_id, [(value, True)])
                if hit:
                    hits.append(hit)
        return hits

    def _message_hit(self, s: Session, text_hit: fts.TextHit) -> SearchHit | None:
        message = s.get(Message, text_hit.id)
        if message is None:
            return None
        conversation = s.get(Conversation, message.conversation_id)
        if conversation is None:
            return None
        hit = self._conversation_hit(s, conversation, "note" if message.kind == "note" else "message",
                                     split_snippet(text_hit.snippet))
        hit.message_id = message.id
        hit.at = message.created_at
        return hit

    def _conversation_hit(self, s: Session, conversation: Conversation, kind: str,
                          segments: list[tuple[str, bool]]) -> SearchHit:
        customer = s.get(Customer, conversation.customer_id)
        return SearchHit(kind=kind, conversation_id=conversation.id, message_id=None,
                         customer_id=conversation.customer_id, customer_name=_name(customer),
                         subject=conversation.subject or conversation.last_message_preview[:80],
                         status=conversation.status, at=conversation.last_message_at, segments=segments)

    def _customer_hit(self, s: Session, customer_id: int, segments: list[tuple[str, bool]]) -> SearchHit | None:
        customer = s.get(Customer, customer_id)
        if customer is None:
            return None
        latest = s.exec(select(Conversation).where(Conversation.customer_id == customer_id)
                        .order_by(col(Conversation.last_message_at).desc()).limit(1)).first()
        return SearchHit(kind="customer", conversation_id=latest.id if latest else None, message_id=None,
                         customer_id=customer_id, customer_name=_name(customer),
                         subject=(latest.subject or latest.last_message_preview[:80]) if latest else "",
                         status=latest.status if latest else None,
                         at=latest.last_message_at if latest else None, segments=segments)


def _name(customer: Customer | None) -> str:
    if customer is None:
        return ""
    return customer.name or customer.contact.split(" ")[0] or f"Customer #{customer.id}"
