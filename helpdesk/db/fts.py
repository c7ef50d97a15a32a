"""Full-text queries. The index itself is created by migration 0002 (FTS5 tables kept
in step by triggers on SQLite, generated tsvector columns with GIN indexes on
PostgreSQL); this module is the only place that speaks either.

Ranking follows what was measured (docs/performance.md): bm25 over every match of a common
word is slow at a million rows, MATCH ordered by rowid is not. So we take the newest
CANDIDATES matches by rowid and rank only those by bm25. Snippets are made by the
search service from the rows it returns (FTS5's snippet() re-scans the whole doclist
of a common prefix for every row, measured at ~4 ms a row at 300 k messages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

from sqlalchemy import text
from sqlmodel import Session

from helpdesk.db import fts_messages

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
_PG_TSQUERY = text("SELECT (plainto_tsquery('simple', helpdesk_search_words(:head)) && "
                   "to_tsquery('simple', quote_literal(helpdesk_search_words(:last)) || ':*'))::text")

# PostgreSQL cannot walk a GIN index newest-first, and cannot estimate a prefix query, so
# one plan is always wrong for someone (measured at 1 M messages: a rare word took 293 ms
# on the primary key backwards, a common one 331 ms through the GIN index). So the
# newest rows are read first, in a small PROBE window; how many of them match tells how
# common the words are, and so which way is quicker for the rest: a window just large
# enough to hold CANDIDATES matches, or the index (quick when matches are few).
PROBE = 2_000
INDEX_BELOW = 10_000  # expected matches under which the GIN index is the quicker way
_NEWEST = ("SELECT id AS rowid, -ts_rank(search_vector, CAST(:q AS tsquery)) AS score FROM "
           "(SELECT id, search_vector FROM {table} ORDER BY id DESC LIMIT :window) AS newest "
           "WHERE search_vector @@ CAST(:q AS tsquery) ORDER BY id DESC LIMIT :n")
# "id + 0" is not the primary key's order, so the planner takes the GIN index.
_BY_INDEX = ("SELECT id AS rowid, -ts_rank(search_vector, CAST(:q AS tsquery)) AS score FROM {table} "
             "WHERE search_vector @@ CAST(:q AS tsquery) ORDER BY id + 0 DESC LIMIT :n")


def _pg_words(query: str) -> dict[str, str] | None:
    words = _PG_WORD.findall(query)[:12]
    if not words:
        return None
    return {"head": " ".join(words[:-1]), "last": words[-1]}


def _pg_candidates(session: Session, table: str, query: str) -> Sequence[Any]:
    params = _pg_words(query)
    if params is None:
        return []
    tsquery = session.execute(_PG_TSQUERY, params).scalar()
    if not tsquery:
        return []
    found = session.execute(text(_NEWEST.format(table=table)),
                            {"q": tsquery, "window": PROBE, "n": CANDIDATES}).all()
    if len(found) == CANDIDATES:
        return found
    newest = session.execute(text(f"SELECT max(id) FROM {table}")).scalar() or 0
    if newest <= PROBE:
        return found  # the probe saw every row
    share = max(len(found), 1) / PROBE
    if share * newest < INDEX_BELOW:
        return session.execute(text(_BY_INDEX.format(table=table)), {"q": tsquery, "n": CANDIDATES}).all()
    window = min(newest, int(CANDIDATES / share * 1.5))
    found = session.execute(text(_NEWEST.format(table=table)),
                            {"q": tsquery, "window": window, "n": CANDIDATES}).all()
    if len(found) == CANDIDATES or window >= newest:
        return found
    return session.execute(text(_BY_INDEX.format(table=table)), {"q": tsquery, "n": CANDIDATES}).all()


def _search(session: Session, table: str, query: str, limit: int) -> list[TextHit]:
    candidates: Sequence[Any]
    if session.get_bind().dialect.name == "postgresql":
        candidates = _pg_candidates(session, table, query)
    elif table == "message":  # the large one: fts_messages.py keeps it quick at a million
        scored = fts_messages.search(session, query_words(query), CANDIDATES)
        return [TextHit(id=rowid, rank=score) for rowid, score in sorted(scored, key=lambda p: (p[1], -p[0]))[:limit]]
    else:
        expression = match_expression(query)
        if expression is None:
            return []
        candidates = session.execute(text(
            f"SELECT rowid, bm25(fts_{table}) AS score FROM fts_{table} WHERE fts_{table} MATCH :q "
            f"ORDER BY rowid DESC LIMIT :n"), {"q": expression, "n": CANDIDATES}).all()
    best = sorted(candidates, key=lambda row: (row.score, -row.rowid))[:limit]
    return [TextHit(id=row.rowid, rank=row.score) for row in best]


def search_messages(session: Session, query: str, limit: int) -> list[TextHit]:
    return _search(session, "message", query, limit)


def search_conversation_subjects(session: Session, query: str, limit: int) -> list[TextHit]:
    return _search(session, "conversation", query, limit)


def search_customers(session: Session, query: str, limit: int) -> list[TextHit]:
    return _search(session, "customer", query, limit)


def search_articles(session: Session, query: str, limit: int) -> list[TextHit]:
    """Help articles (title and body), best first: few enough that every match is ranked."""
    return _search(session, "article", query, limit)


def search_articles_any(session: Session, words: list[str], limit: int) -> list[TextHit]:
    """Help articles with any of `words` (each as a prefix), best first: a visitor's sentence has
    words no answer contains, so suggestions cannot ask for every one (services/help ranks them
    by how many each has)."""
    words = [w for w in words if _PG_WORD.fullmatch(w)][:12]
    if not words:
        return []
    if session.get_bind().dialect.name == "postgresql":
        parts = " || ".join(f"to_tsquery('simple', quote_literal(helpdesk_search_words(:w{i})) || ':*')"
                            for i in range(len(words)))
        rows = session.execute(text(
            f"SELECT id AS rowid, -ts_rank(search_vector, q) AS score FROM article, ({'SELECT ' + parts} AS q) AS query "
            "WHERE search_vector @@ q ORDER BY score LIMIT :n"), {**{f"w{i}": w for i, w in enumerate(words)},
                                                                 "n": limit}).all()
    else:
        expression = " OR ".join('"' + w.replace('"', '""') + '"*' for w in words)
        rows = session.execute(text("SELECT rowid, bm25(fts_article, 4.0, 1.0) AS score FROM fts_article "
                                    "WHERE fts_article MATCH :q ORDER BY score LIMIT :n"),
                               {"q": expression, "n": limit}).all()
    return [TextHit(id=row.rowid, rank=row.score) for row in rows]


def newest_with_word(conn: Any, word: str, limit: int = CANDIDATES) -> list[int]:
    """Ids of the newest `limit` (at most CANDIDATES) messages with this word: bounded work however
    many messages have it (assist's similar conversations)."""
    if conn.dialect.name == "postgresql":
        return [r.rowid for r in _pg_candidates(conn, "message", word)][:limit]
    return [r.rowid for r in conn.execute(text(
        "SELECT rowid FROM fts_message WHERE fts_message MATCH :q ORDER BY rowid DESC LIMIT :n"),
        {"q": '"' + word.replace('"', '""') + '"', "n": limit})]
