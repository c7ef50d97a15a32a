"""Message search on SQLite at a million messages: the newest matches of a common word in
about a millisecond instead of ~40 (measured, docs/performance.md).

Two of FTS5's costs grow with the whole table, not with what is shown:

- a prefix ("deliv"*, the last word as typed) merges the complete doclists of every word it
  begins, however few rows are wanted. So the words it may stand for are looked up first in
  the index's own vocabulary (fts5vocab 'instance', one seek a word, migration 0018) and
  asked for as `"delivery" OR "deliveries"`, which FTS5 reads newest first and stops at the
  LIMIT. A prefix of more than MAX_WORDS words (one letter, say) still takes the merge.
- bm25() counts, for every word, all the rows that hold it (its IDF). Here the candidates are
  ranked in Python with FTS5's own formula (k1 1.2, b 0.75, IDF floored at 1e-6), the word
  counts of each candidate from its text, and each word's share of the table estimated from
  how densely it occurs among the newest rows (exact when it occurs in fewer than SAMPLE).
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from sqlalchemy import text

MAX_WORDS = 16  # indexed words a typed prefix may stand for, asked for by name
SAMPLE = 200  # newest rows read to estimate how common a word is
K1, B = 1.2, 0.75
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)  # what unicode61 keeps as a word

_NEXT_WORD = text("SELECT term FROM fts_message_vocab WHERE term >= :low AND term < :high LIMIT 1")
_NEWEST = "SELECT rowid FROM fts_message WHERE fts_message MATCH :q ORDER BY rowid DESC LIMIT :n"
_AVERAGES = text("SELECT block FROM fts_message_data WHERE id = 1")
_NEWEST_ID = text("SELECT max(rowid) FROM fts_message")


def fold(word: str) -> str:
    """Lower case without accents: what the index's unicode61/remove_diacritics tokenizer keeps."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def words_starting(session: Any, prefix: str) -> list[str] | None:
    """The indexed words that begin with `prefix` (folded), in order; None if more than MAX_WORDS."""
    found: list[str] = []
    low, high = prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)
    while len(found) <= MAX_WORDS:
        word = session.execute(_NEXT_WORD, {"low": low, "high": high}).scalar()
        if word is None:
            return found
        found.append(word)
        low = word + "\x01"  # the next word after it (no word holds a control character)
    return None


def _varints(blob: bytes) -> list[int]:
    """SQLite's variable-length integers, as FTS5 stores its averages record."""
    values, i = [], 0
    while i < len(blob):
        value = 0
        for n in range(9):
            byte = blob[i]
            i += 1
            if n == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        values.append(value)
    return values


class _Phrase:
    """One query word: matched whole, or (the last one) as the start of a word."""

    def __init__(self, word: str, prefix: bool) -> None:
        self.word, self.prefix = fold(word), prefix

    def count(self, tokens: list[str]) -> int:
        if self.prefix:
            return sum(1 for t in tokens if t.startswith(self.word))
        return sum(1 for t in tokens if t == self.word)


def search(session: Any, query_words: list[str], candidates: int) -> list[tuple[int, float]]:
    """(rowid, bm25 score: lower is better) of the newest `candidates` messages holding every
    word, the last as a prefix."""
    if not query_words:
        return []
    head, last = query_words[:-1], query_words[-1]
    folded = fold(last)
    expansion = words_starting(session, folded) if _TOKEN.fullmatch(folded) else None
    if expansion == []:
        return []  # no indexed word begins so: nothing can match
    if expansion is None:
        tail = _quoted(last) + "*"
    elif len(expansion) == 1:
        tail = _quoted(expansion[0])
    else:
        tail = "(" + " OR ".join(map(_quoted, expansion)) + ")"
    expression = " AND ".join([_quoted(w) for w in head] + [tail])
    rowids = [r[0] for r in session.execute(text(_NEWEST), {"q": expression, "n": candidates})]
    if not rowids:
        return []
    phrases = [_Phrase(w, False) for w in head] + [_Phrase(last, True)]
    bodies = dict(session.execute(text(
        f"SELECT id, body FROM message WHERE id IN ({','.join(map(str, rowids))})")).all())
    averages = session.execute(_AVERAGES).scalar()
    counts = _varints(averages) if averages else [len(rowids), 1]
    total_rows = max(counts[0], 1)
    average_length = max(counts[1], 1) / total_rows
    newest = session.execute(_NEWEST_ID).scalar() or 1
    idf = [_idf(session, e, total_rows, newest) for e in [_quoted(w) for w in head] + [tail]]
    scored = []
    for rowid in rowids:
        body = bodies.get(rowid) or ""
        tokens = _TOKEN.findall(body.lower() if body.isascii() else fold(body))
        length = len(tokens) or 1
        score = 0.0
        for phrase, weight in zip(phrases, idf):
            tf = phrase.count(tokens)
            score += weight * (tf * (K1 + 1)) / (tf + K1 * (1 - B + B * length / average_length))
        scored.append((rowid, -score))
    return scored


def _idf(session: Any, expression: str, total_rows: int, newest: int) -> float:
    """FTS5's IDF of a phrase, with the number of rows that hold it counted when they are few
    and estimated from the newest of them otherwise."""
    sample = [r[0] for r in session.execute(text(_NEWEST), {"q": expression, "n": SAMPLE})]
    if len(sample) < SAMPLE:
        holding = len(sample)
    else:  # SAMPLE of them among the rows since the oldest of the sample: the same share of all
        holding = min(total_rows, round(SAMPLE * newest / max(newest - sample[-1] + 1, 1)))
    value = math.log((total_rows - holding + 0.5) / (holding + 0.5))
    return value if value > 0 else 1e-6
