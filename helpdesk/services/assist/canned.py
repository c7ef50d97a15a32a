"""Canned replies ranked for one conversation: by the words they share with it (a title's words
count double), and by what agents picked before: a reply used in the similar solved
conversations rises, and so, a little, does one used often."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from helpdesk.models.tables import CANNED_REPLIES as CANNED, CANNED_USES as USE
from helpdesk.services.assist.words import topic_words



@dataclass(frozen=True)
class Suggestion:
    canned_id: int
    title: str
    body: str  # as written, variables and all (the caller fills them)
    score: float


def rank(conn: Connection, texts: list[str], similar_ids: list[int], limit: int = 3) -> list[Suggestion]:
    words = set(topic_words(texts, limit=20))
    replies = conn.execute(select(CANNED.c.id, CANNED.c.title, CANNED.c.body)).all()
    if not replies:
        return []
    used: dict[int, int] = dict(conn.execute(select(USE.c.canned_id, func.count()).group_by(USE.c.canned_id)).all())
    used_here: dict[int, int] = {}
    if similar_ids:
        used_here = dict(conn.execute(select(USE.c.canned_id, func.count(func.distinct(USE.c.conversation_id)))
                                      .where(USE.c.conversation_id.in_(similar_ids)).group_by(USE.c.canned_id)).all())
    ranked = []
    for r in replies:
        title, body = set(topic_words([r.title], 10)), set(topic_words([r.body], 30))
        overlap = 2 * len(words & title) + len(words & (body - title))
        score = overlap + 2.0 * used_here.get(r.id, 0) + (0.3 * math.log1p(used.get(r.id, 0)) if overlap else 0.0)
        if score > 0:
            ranked.append(Suggestion(r.id, r.title, r.body, round(score, 2)))
    ranked.sort(key=lambda s: (-s.score, s.title))
    return ranked[:limit]
