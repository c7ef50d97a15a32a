"""Full-text queries. The index itself is created by migration 0002 and kept in step
by triggers; this module is the only place that speaks FTS5.

Ranking follows the measured advice in DESIGN.md: bm25 over every match of a common
word is slow at a million rows, MATCH ordered by rowid is not. So we take the newest
CANDIDATES matches by rowid and rank only those by bm25. Snippets are made by the
search service from the rows it returns (FTS5's snippet() re-scans the whole doclist
of a common prefix for every row, measured at ~4 ms a row at 300 k messages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session

CANDIDATES = 500
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class TextHit:
    id: int
    rank: float  # bm25: lower is better


def match_expression(query: str) -> str | None:
    """A safe FTS5 expression: every word must occur, the last one as a prefix
    (so results appear while typing). Operators typed by users are just words."""
    words = _WORD.findall(query)
    if not words:
        return None
    quoted = ['"' + w.replace('"', '""') + '"' for w in words[:12]]
    quoted[-1] += "*"
    return " AND ".join(quoted)


def query_words(query: str) -> list[str]:
    return _WORD.findall(query)[:12]


def _search(session: Session, table: str, expression: str, limit: int) -> list[TextHit]:
    candidates = session.execute(
        text(
            f"SELECT rowid, bm25({table}) AS score FROM {table} WHERE {table} MATCH :q "
            f"ORDER BY rowid DESC LIMIT :n"
        ),
        {"q": expression, "n": CANDIDATES},
    ).all()
    best = sorted(candidates, key=lambda row: (row.score, -row.rowid))[:limit]
    return [TextHit(id=row.rowid, rank=row.score) for row in best]


def search_messages(session: Session, expression: str, limit: int) -> list[TextHit]:
    return _search(session, "fts_message", expression, limit)


def search_conversation_subjects(session: Session, expression: str, limit: int) -> list[TextHit]:
    return _search(session, "fts_conversation", expression, limit)


def search_customers(session: Session, expression: str, limit: int) -> list[TextHit]:
    return _search(session, "fts_customer", expression, limit)
