"""Message search on SQLite (db/fts_messages.py): a typed prefix asked for as the words it
stands for, and the candidates ranked in Python by FTS5's own bm25 formula."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from helpdesk.db import fts, fts_messages
from helpdesk.services.conversations import IncomingMessage

pytestmark = pytest.mark.sqlite_only

BODIES = ["The delivery was late again", "Two deliveries arrived damaged", "Delivered to the wrong door",
          "delivery delivery delivery, where is my delivery", "A question about my invoice",
          "Café au lait stains on the saddle", "The courier says it was delivered " + "and so on " * 20]


@pytest.fixture
def stored(services):
    ids = []
    for n, body in enumerate(BODIES):
        ids.append(services.conversations.receive(IncomingMessage(body=body, email=f"c{n}@example.com")).message_id)
    return ids


def found(services, query: str) -> list[int]:
    with services.db.read() as session:
        return sorted(hit.id for hit in fts.search_messages(session, query, limit=50))


def test_a_prefix_finds_every_word_it_begins(services, stored):
    with services.db.read() as session:
        assert fts_messages.words_starting(session, "deliv") == ["delivered", "deliveries", "delivery"]
    assert found(services, "deliv") == sorted(stored[:4] + [stored[6]])
    assert found(services, "DELIVERIES") == [stored[1]]
    assert found(services, "cafe sad") == [stored[5]]
    assert found(services, "nowordlikethis") == []


def test_a_common_word_is_ranked_from_an_estimate_of_how_common_it_is(services, stored, monkeypatch):
    monkeypatch.setattr(fts_messages, "SAMPLE", 2)  # "delivery" is in more rows than the sample
    with services.db.read() as session:
        ranked = sorted(fts_messages.search(session, ["delivery"], fts.CANDIDATES), key=lambda pair: pair[1])
    assert [rowid for rowid, _ in ranked][0] == stored[3]  # four times in a short message: the best match
    assert {rowid for rowid, _ in ranked} == {stored[0], stored[3]}


def test_a_prefix_of_too_many_words_is_still_found(services, stored, monkeypatch):
    monkeypatch.setattr(fts_messages, "MAX_WORDS", 1)
    assert found(services, "deliv") == sorted(stored[:4] + [stored[6]])
    assert found(services, "the deliv") == sorted([stored[0], stored[2], stored[6]])


@pytest.mark.parametrize("query", ["delivery", "delivered", "deliv", "the delivery", "my deliv", "Café"])
def test_the_ranking_is_fts5s_own_bm25(services, stored, query):
    """With the counts exact (few rows), the Python scores are what FTS5's bm25() gives the
    query as it was asked before (the last word as a prefix): the same rows, the same numbers."""
    words = fts.query_words(query)
    with services.db.read() as session:
        ours = dict(fts_messages.search(session, words, fts.CANDIDATES))
        theirs = dict(session.execute(text("SELECT rowid, bm25(fts_message) FROM fts_message "
                                           "WHERE fts_message MATCH :q"), {"q": fts.match_expression(query)}).all())
    assert set(ours) == set(theirs) and ours
    for rowid, score in theirs.items():
        assert ours[rowid] == pytest.approx(score, rel=1e-9)
