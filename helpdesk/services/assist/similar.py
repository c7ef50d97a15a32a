"""The resolved conversations most like this one, from the full-text index alone (no model).

Bounded work at any size: for each of the conversation's telling words, the newest few hundred
messages that have it (one indexed query each); a word whose few hundred reach far back is rare,
one they do not is common, which gives each word its weight (an IDF estimated from how far back
its matches go). A past conversation scores the weights of the words it shares, more for a
recent one and one that went well (a good rating, no coming back), less for one the customer
came back about. Each comes with the reply that solved it: the team's last answer before it was
resolved."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from helpdesk.db import fts
from helpdesk.models import IN, OUT, REPLY, RESOLVED
from helpdesk.models.tables import CONVERSATIONS as C, CSAT_RATINGS as R, CUSTOMERS as K, MESSAGES as M
from helpdesk.services.assist.words import topic_words, word_counts

PER_WORD = fts.CANDIDATES  # the newest matches taken for each word
RECENT_TEXT = 6  # customer messages of the open conversation whose words count
ANSWER_ONLY = 0.6  # a word found only in the team's answer of a past conversation
SUBJECT_BONUS = 0.5  # a shared word that is also in the past conversation's subject
# Offered beside the best only when this close to it: a past conversation sharing one common
# word ("stock", "bike") with the open one is noise next to one that shares what it is about.
SHARE_OF_BEST = 0.4


@dataclass(frozen=True)
class Solved:
    conversation_id: int
    subject: str
    customer: str
    resolved_at: datetime | None
    rating: int | None
    came_back: bool  # reopened by the customer after it was resolved
    score: float
    shared: tuple[str, ...]  # the words it has in common with this conversation
    question: str  # what the customer asked first
    reply_id: int | None
    reply: str  # the answer that solved it

    @property
    def outcome(self) -> str:
        """For people: 'Resolved, rated 5/5' / 'Resolved; the customer came back'."""
        words = "Resolved"
        if self.rating is not None:
            words += f", rated {self.rating}/5"
        if self.came_back:
            words += "; the customer came back"
        return words


def conversation_texts(conn: Connection, conversation_id: int) -> list[str]:
    """The customer's recent words in a conversation, and its subject."""
    subject = conn.execute(select(C.c.subject).where(C.c.id == conversation_id)).scalar() or ""
    bodies = conn.execute(select(M.c.body).where(M.c.conversation_id == conversation_id, M.c.direction == IN,
                                                 M.c.kind == REPLY).order_by(M.c.id.desc()).limit(RECENT_TEXT)).scalars()
    return [subject, *bodies]


def find_similar(conn: Connection, conversation_id: int | None, texts: list[str], now: datetime,
                 limit: int = 5) -> list[Solved]:
    """`texts`: the conversation's subject first, then the customer's messages (conversation_texts)."""
    words = topic_words(texts)
    if not words:
        return []
    # A word the customer repeats, or puts in the subject, says more about what they want.
    said = word_counts(texts[:1] * 2 + texts[1:])
    newest = conn.execute(select(func.max(M.c.id))).scalar() or 0
    weights: dict[str, float] = {}
    hits: dict[int, set[str]] = {}  # message id -> words it has
    for word in words:
        ids = fts.newest_with_word(conn, word, PER_WORD)
        if not ids:
            continue
        reach = max(1, newest - min(ids) + 1)  # how many messages back the matches go
        estimated = len(ids) if len(ids) < PER_WORD else len(ids) * newest / reach
        weights[word] = math.log(1 + newest / max(1.0, estimated)) * min(2.0, 1 + 0.5 * (said[word] - 1))
        for message_id in ids:
            hits.setdefault(message_id, set()).add(word)
    if not hits:
        return []
    # A word the past customer used counts in full; one only in the team's answer, less: the open
    # conversation's words are a customer's too.
    per_conversation: dict[int, dict[str, float]] = {}
    for row in _chunks(conn, list(hits)):
        shares = per_conversation.setdefault(row.conversation_id, {})
        for word in hits[row.id]:
            shares[word] = max(shares.get(word, 0.0), 1.0 if row.direction == IN else ANSWER_ONLY)
    if conversation_id is not None:  # the open conversation is not similar to itself
        per_conversation.pop(conversation_id, None)
    if not per_conversation:
        return []

    def base(shares: dict[str, float]) -> float:
        return sum(weights[w] * f for w, f in shares.items())

    ranked = sorted(per_conversation.items(), key=lambda kv: -base(kv[1]))[:limit * 8]
    rows = {r.id: r for r in conn.execute(
        select(C.c.id, C.c.subject, C.c.status, C.c.resolved_at, C.c.reopen_count, C.c.last_message_at,
               C.c.merged_into_id, K.c.name).join(K, K.c.id == C.c.customer_id)
        .where(C.c.id.in_([cid for cid, _ in ranked])))}
    ratings = dict(conn.execute(select(R.c.conversation_id, func.max(R.c.rating)).where(
        R.c.conversation_id.in_(list(rows))).group_by(R.c.conversation_id)).all()) if rows else {}
    scored = []
    for cid, shared in ranked:
        row = rows.get(cid)
        if row is None or row.status != RESOLVED or row.merged_into_id is not None:
            continue
        age_days = max(0.0, (now - (row.resolved_at or row.last_message_at or now)).total_seconds() / 86400)
        rating = ratings.get(cid)
        outcome = 1.0 + (0.3 if rating is not None and rating >= 4 else -0.4 if rating is not None and rating <= 2
                         else 0.0) - (0.2 if row.reopen_count else 0.0)
        in_subject = set(topic_words([row.subject or ""], 20))
        matched = base(shared) + SUBJECT_BONUS * sum(weights[w] for w in shared if w in in_subject)
        scored.append((matched * outcome / (1 + age_days / 365), cid, row, rating, set(shared)))
    scored.sort(key=lambda t: (-t[0], -t[1]))
    scored = [t for t in scored if t[0] >= SHARE_OF_BEST * scored[0][0]] if scored else []
    return [_solved(conn, score, cid, row, rating, shared, words) for score, cid, row, rating, shared in scored[:limit]]


def _chunks(conn: Connection, ids: list[int], size: int = 900) -> Any:
    for i in range(0, len(ids), size):
        yield from conn.execute(select(M.c.id, M.c.conversation_id, M.c.direction).where(M.c.id.in_(ids[i:i + size])))


def _solved(conn: Connection, score: float, cid: int, row: Any, rating: int | None, shared: set[str],
            words: list[str]) -> Solved:
    question = conn.execute(select(M.c.body).where(M.c.conversation_id == cid, M.c.direction == IN,
                                                   M.c.kind == REPLY).order_by(M.c.id).limit(1)).scalar() or ""
    answers = conn.execute(select(M.c.id, M.c.body, M.c.meta, M.c.created_at).where(
        M.c.conversation_id == cid, M.c.direction == OUT, M.c.kind == REPLY,
        *([M.c.created_at <= row.resolved_at] if row.resolved_at else [])).order_by(M.c.id.desc()).limit(5)).all()
    # The answer that solved it: of the team's last replies, the one that speaks to what was asked
    # (shares its words) and says something ("You're welcome!" closes a thread; it solves nothing).
    people = [a for a in answers if not (a.meta or {}).get("automatic")]
    answer = max(people, key=lambda a: (2 * len(set(topic_words([a.body], 30)) & set(words))
                                        + min(len(a.body), 300) / 100, a.id), default=None)
    return Solved(cid, row.subject or "", row.name or "", row.resolved_at, rating, bool(row.reopen_count),
                  round(score, 3), tuple(w for w in words if w in shared), question[:500],
                  answer.id if answer else None, answer.body if answer else "")
