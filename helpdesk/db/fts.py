"""Full-text queries. The index itself is created by migration 0002 and kept in step
by triggers; this module is the only place that speaks FTS5.

Ranking follows the measured advice in DESIGN.md: bm25 over every match of a common
word is slow at a million rows, MATCH ordered by rowid is not. So we take the newest
CANDIDATES matches by rowid, rank only those by bm25, and build snippets for the
few we return.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session

HIT_START, HIT_END = "\x02", "\x03"  # snippet markers; services turn them into segments
CANDIDATES = 500
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class TextHit:
    id: int
    rank: float
    snippet: str


def match_expression(query: str) -> str | None:
    """A safe FTS5 expression: every word must occur, the last one as a prefix
    (so results appear while typing). Operators typed by users are just words."""
    words = _WORD.findall(query)
    if not words:
        return None
    quoted = ['"' + w.replace('"', '""') + '"' for w in words[:12]]
    quoted[-1] += "*"
    return " AND ".join(quoted)


def _search(session: Session, table: str, snippet_column: int, expression: str, limit: int) -> list[TextHit]:
    candidates = session.execute(
        text(
            f"SELECT rowid, bm25({table}) AS score FROM {table} WHERE {table} MATCH :q "
            f"ORDER BY rowid DESC LIMIT :n"
        ),
        {"q": expression, "n": CANDIDATES},
    ).all()
    best = sorted(candidates, key=lambda row: (row.score, -row.rowid))[:limit]
    if not best:
        return []
    ids = ",".join(str(int(row.rowid)) for row in best)
    snippets = dict(
        session.execute(
            text(
                f"SELECT rowid, snippet({table}, {snippet_column}, :a, :b, '…', 14) FROM {table} "
                f"WHERE {table} MATCH :q AND rowid IN ({ids})"
            ),
            {"q": expression, "a": HIT_START, "b": HIT_END},
        ).all()
    )
    return [TextHit(id=row.rowid, rank=row.score, snippet=snippets.get(row.rowid, "")) for row in best]


def search_messages(session: Session, expression: str, limit: int) -> list[TextHit]:
    return _search(session, "fts_message", 0, expression, limit)


def search_conversation_subjects(session: Session, expression: str, limit: int) -> list[TextHit]:
    return _search(session, "fts_conversation", 0, expression, limit)


def search_customers(session: Session, expression: str, limit: int) -> list[TextHit]:
    return _search(session, "fts_customer", -1, expression, limit)
