"""Full-text queries. The index itself is created by migration 0002 (FTS5 tables kept
in step by triggers on SQLite, generated tsvector columns with GIN indexes on
PostgreSQL); this module is the only place that speaks either.

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


_PG_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # the database turns "_" into a space too

# Every word must occur, the last one as a prefix. The database lower-cases and unaccents
# the words with the function that made the documents' vectors (migration 0002).
_PG_QUERY = ("(SELECT plainto_tsquery('simple', helpdesk_search_words(:head)) && "
             "to_tsquery('simple', quote_literal(helpdesk_search_words(:last)) || ':*') AS q) AS query")


def _pg_words(query: str) -> dict[str, str] | None:
    words = _PG_WORD.findall(query)[:12]
    if not words:
        return None
    return {"head": " ".join(words[:-1]), "last": words[-1]}


def _search(session: Session, table: str, query: str, limit: int) -> list[TextHit]:
    if session.get_bind().dialect.name == "postgresql":
        params = _pg_words(query)
        if params is None:
            return []
        # ts_rank is "higher is better"; negated so both engines sort the same way.
        sql = (f"SELECT id AS rowid, -ts_rank(search_vector, q) AS score FROM {table}, {_PG_QUERY} "
               f"WHERE search_vector @@ q ORDER BY id DESC LIMIT :n")
    else:
        expression = match_expression(query)
        if expression is None:
            return []
        params = {"q": expression}
        sql = (f"SELECT rowid, bm25(fts_{table}) AS score FROM fts_{table} WHERE fts_{table} MATCH :q "
               f"ORDER BY rowid DESC LIMIT :n")
    candidates = session.execute(text(sql), {**params, "n": CANDIDATES}).all()
    best = sorted(candidates, key=lambda row: (row.score, -row.rowid))[:limit]
    return [TextHit(id=row.rowid, rank=row.score) for row in best]


def search_messages(session: Session, query: str, limit: int) -> list[TextHit]:
    return _search(session, "message", query, limit)


def search_conversation_subjects(session: Session, query: str, limit: int) -> list[TextHit]:
    return _search(session, "conversation", query, limit)


def search_customers(session: Session, query: str, limit: int) -> list[TextHit]:
    return _search(session, "customer", query, limit)
