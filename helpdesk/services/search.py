"""Search across all history: message text (replies and notes), subjects, customer
names and identifiers. Ranked, with highlighted snippets, each hit pointing at the
conversation and (for messages) the message to open the thread at."""

from __future__ import annotations

from typing import Any

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Row, Table, func, select
from sqlmodel import Session

from helpdesk.db import fts
from helpdesk.db.fts_messages import fold
from helpdesk.models import EMAIL, PHONE, Conversation, Customer
from helpdesk.models.tables import CONVERSATIONS, CUSTOMER_IDENTIFIERS as IDENT, CUSTOMERS, MESSAGES
from helpdesk.services.base import Service, stored_id
from helpdesk.services.customers import normalize_email, normalize_phone
from helpdesk.services.payments.reference import conversation_of, spaced

MAX_RESULTS = 50
SNIPPET_WORDS = 16
_TOKEN = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+")


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


def highlight(text: str, words: list[str], max_words: int = SNIPPET_WORDS) -> list[tuple[str, bool]]:
    """A window of `text` around the first matching word, matches marked. The last query
    word matches as a prefix, as the full-text query does."""
    wanted = [fold(w) for w in words]
    if not wanted:
        return [(text[:200], False)]
    exact, prefix = set(wanted[:-1]), wanted[-1]
    tokens = list(_TOKEN.finditer(text))
    hits = [i for i, t in enumerate(tokens) if (f := fold(t.group())) in exact or f.startswith(prefix)]
    if not tokens:
        return [(text[:200], False)]
    first = hits[0] if hits else 0
    start_token = max(0, first - max_words // 4)
    end_token = min(len(tokens), start_token + max_words)
    start = tokens[start_token].start() if start_token else 0
    end = tokens[end_token - 1].end() if end_token < len(tokens) else len(text)
    segments: list[tuple[str, bool]] = [("…", False)] if start else []
    cursor = start
    for i in hits:
        if not start_token <= i < end_token:
            continue
        t = tokens[i]
        if t.start() > cursor:
            segments.append((text[cursor:t.start()], False))
        segments.append((t.group(), True))
        cursor = t.end()
    if cursor < end:
        segments.append((text[cursor:end], False))
    if end < len(text):
        segments.append(("…", False))
    return [(_SPACE.sub(" ", s), is_hit) for s, is_hit in segments if s]


class SearchService(Service):
    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        query = (query or "").strip()[:200]
        limit = max(1, min(limit, MAX_RESULTS))
        words = fts.query_words(query)
        if not words:
            return []
        with self.db.read() as s:
            hits = self._reference_hits(s, query) + self._identifier_hits(s, query)
            seen_customers = {h.customer_id for h in hits}
            message_hits = fts.search_messages(s, query, limit)
            subject_hits = fts.search_conversation_subjects(s, query, limit)
            customer_hits = [h for h in fts.search_customers(s, query, limit) if h.id not in seen_customers]

            messages = _by_id(s, MESSAGES, [h.id for h in message_hits])
            conversation_ids = {m.conversation_id for m in messages.values()} | {h.id for h in subject_hits}
            conversations = _by_id(s, CONVERSATIONS, list(conversation_ids))
            latest = _latest_conversations(s, [h.id for h in customer_hits])
            conversations.update(latest)
            customer_ids = {c.customer_id for c in conversations.values()} | {h.id for h in customer_hits}
            customers = _by_id(s, CUSTOMERS, list(customer_ids))

        ranked: list[tuple[float, SearchHit]] = []
        for h in message_hits:
            message = messages.get(h.id)
            conversation = conversations.get(message.conversation_id) if message else None
            if message is None or conversation is None:
                continue
            hit = _conversation_hit(conversation, customers, "note" if message.kind == "note" else "message",
                                    highlight(message.body, words))
            hit.message_id, hit.at = message.id, message.created_at
            ranked.append((h.rank, hit))
        for h in subject_hits:
            if (conversation := conversations.get(h.id)) is not None:
                ranked.append((h.rank, _conversation_hit(conversation, customers, "subject",
                                                         highlight(conversation.subject, words))))
        for h in customer_hits:
            if (customer := customers.get(h.id)) is not None:
                text = f"{customer.name} · {customer.contact}" if customer.name else customer.contact
                ranked.append((h.rank, _customer_hit(customer, latest.get(customer.id), highlight(text, words))))
        ranked.sort(key=lambda pair: pair[0])  # bm25: lower is better
        hits.extend(hit for _, hit in ranked)
        return hits[:limit]

    @staticmethod
    def _reference_hits(s: Session, query: str) -> list[SearchHit]:
        """A payment's RF reference, as printed on a bank statement, finds its conversation first."""
        conversation_id = conversation_of(query) if query[:2].upper() == "RF" else None
        conversation = s.get(Conversation, conversation_id) if conversation_id is not None else None
        for _ in range(20):  # merged since: where its messages went
            if conversation is None or conversation.merged_into_id is None:
                break
            conversation = s.get(Conversation, conversation.merged_into_id)
        if conversation is None:
            return []
        customers = _by_id(s, CUSTOMERS, [conversation.customer_id])
        return [_conversation_hit(conversation, customers, "subject",
                                  [("Payment reference ", False), (spaced(query.upper()), True)])]

    def _identifier_hits(self, s: Session, query: str) -> list[SearchHit]:
        """An exact email or phone number finds its customer first, however it is typed."""
        candidates = []
        email = normalize_email(query)
        if email:
            candidates.append((EMAIL, email))
        elif len(re.sub(r"\D", "", query)) >= 5:
            phone = normalize_phone(query, self.settings.default_phone_region)
            if phone:
                candidates.append((PHONE, phone))
        hits = []
        for kind, value in candidates:
            customer_id = s.execute(select(IDENT.c.customer_id).where(
                IDENT.c.kind == kind, IDENT.c.value == value)).scalar()
            customer = s.get(Customer, customer_id) if customer_id is not None else None
            if customer is not None:
                latest = _latest_conversations(s, [stored_id(customer)]).get(stored_id(customer))
                hits.append(_customer_hit(customer, latest, [(value, True)]))
        return hits


# A row read as a plain row (making model objects costs ~40 µs each, a few ms a search).
Found = Row[Any]


def _by_id(s: Session, table: Table, ids: list[int]) -> dict[int, Found]:
    """Rows by id, as plain rows."""
    if not ids:
        return {}
    return {row.id: row for row in s.execute(select(table).where(table.c.id.in_(ids))).all()}


def _latest_conversations(s: Session, customer_ids: list[int]) -> dict[int, Found]:
    """Each customer's most recent conversation (what a customer hit opens)."""
    if not customer_ids:
        return {}
    newest = (select(func.max(CONVERSATIONS.c.id)).where(CONVERSATIONS.c.customer_id.in_(customer_ids))
              .group_by(CONVERSATIONS.c.customer_id))
    rows = s.execute(select(CONVERSATIONS).where(CONVERSATIONS.c.id.in_(newest))).all()
    return {c.customer_id: c for c in rows}


def _name(customer: Customer | Found | None) -> str:
    if customer is None:
        return ""
    return customer.name or customer.contact.split(" ")[0] or f"Customer #{customer.id}"


def _conversation_hit(conversation: Conversation | Found, customers: dict[int, Found], kind: str,
                      segments: list[tuple[str, bool]]) -> SearchHit:
    return SearchHit(kind=kind, conversation_id=conversation.id, message_id=None,
                     customer_id=conversation.customer_id, customer_name=_name(customers.get(conversation.customer_id)),
                     subject=conversation.subject or conversation.last_message_preview[:80],
                     status=conversation.status, at=conversation.last_message_at, segments=segments)


def _customer_hit(customer: Customer | Found, latest: Found | None, segments: list[tuple[str, bool]]) -> SearchHit:
    return SearchHit(kind="customer", conversation_id=latest.id if latest else None, message_id=None,
                     customer_id=stored_id(customer), customer_name=_name(customer),
                     subject=(latest.subject or latest.last_message_preview[:80]) if latest else "",
                     status=latest.status if latest else None,
                     at=latest.last_message_at if latest else None, segments=segments)
