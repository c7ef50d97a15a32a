"""The direct path (helpdesk/db/direct.py) gives what SQLAlchemy gives: the same rows, aware
UTC datetimes, JSON back as objects, ids of inserted rows, counts of updated ones; and
whatever it does not take on goes to SQLAlchemy."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, bindparam, create_engine, event, insert, select, update

from helpdesk.db.direct import direct, prepared
from helpdesk.db.types import UTCDateTime

meta = MetaData()
NOTE = Table("note", meta, Column("id", Integer, primary_key=True), Column("text", String, nullable=False),
             Column("data", JSON), Column("at", UTCDateTime), Column("score", Integer, nullable=False, default=7),
             Column("edits", Integer, nullable=False, default=0, onupdate=1))
INSERT = prepared(insert(NOTE))
BY_ID = prepared(select(NOTE.c.id, NOTE.c.text, NOTE.c.data, NOTE.c.at, NOTE.c.score).where(NOTE.c.id == bindparam("b_id")))
FIRST_EMPTY = prepared(select(NOTE.c.id).where(NOTE.c.text == "").order_by(NOTE.c.id).limit(1))
RENAME = prepared(update(NOTE).where(NOTE.c.text == bindparam("b_old")))
BY_IDS = prepared(select(NOTE.c.text).where(NOTE.c.id.in_(bindparam("ids", expanding=True))).order_by(NOTE.c.id))
AT = datetime(2026, 3, 1, 12, 30, 15, 250_000, tzinfo=timezone(timedelta(hours=2)))


@pytest.fixture
def conn():
    engine = create_engine("sqlite://")
    meta.create_all(engine)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with engine.begin() as c:
        yield c, statements


def test_rows_read_directly_match_sqlalchemys(conn):
    c, _ = conn
    fast = direct(c)
    new_id = fast.execute(INSERT, {"text": "hello", "data": {"tags": ["a"], "n": 1}, "at": AT}).inserted_primary_key[0]
    mine, theirs = fast.execute(BY_ID, {"b_id": new_id}).first(), c.execute(BY_ID, {"b_id": new_id}).first()
    assert tuple(mine) == tuple(theirs)
    assert mine.text == "hello" and mine.data == {"tags": ["a"], "n": 1}
    assert mine.at == AT and mine.at.tzinfo == timezone.utc  # stored as UTC, handed back aware
    assert mine.score == 7  # the column's default, for a value left out


def test_values_written_into_a_statement_and_counts(conn):
    c, _ = conn
    fast = direct(c)
    for text in ("x", "", ""):
        fast.execute(INSERT, {"text": text})
    assert fast.execute(FIRST_EMPTY).scalar() == 2
    assert fast.execute(RENAME, {"b_old": "", "text": "filled"}).rowcount == 2
    assert fast.execute(FIRST_EMPTY).first() is None
    assert fast.execute(select(NOTE.c.text).order_by(NOTE.c.id)).scalars().all() == ["x", "filled", "filled"]
    # a column's own value on update (onupdate), not its value for new rows
    assert c.execute(select(NOTE.c.edits).order_by(NOTE.c.id)).scalars().all() == [0, 1, 1]


def test_only_prepared_statements_without_lists_skip_sqlalchemy(conn):
    c, statements = conn
    fast = direct(c)
    fast.execute(INSERT, {"text": "one"})
    fast.execute(BY_ID, {"b_id": 1})
    assert statements == []  # neither went through SQLAlchemy's execution
    assert fast.execute(BY_IDS, {"ids": [1]}).scalars().all() == ["one"]  # an IN list: SQLAlchemy's
    fast.execute(insert(NOTE), [{"text": "two"}, {"text": "three"}])  # not prepared, and many rows
    assert len(statements) == 2
    assert [r.text for r in fast.execute(select(NOTE.c.text).order_by(NOTE.c.id))] == ["one", "two", "three"]


def test_a_missing_parameter_is_sqlalchemys_error(conn):
    c, _ = conn
    with pytest.raises(Exception, match="b_id"):
        direct(c).execute(BY_ID, {})


def test_times_are_stored_in_sqlalchemys_own_text_form(conn):
    c, _ = conn
    from sqlalchemy.dialects.sqlite import DATETIME
    general = DATETIME().bind_processor(c.dialect)
    for at in (AT, AT.replace(microsecond=0), datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=timezone.utc)):
        direct(c).execute(INSERT, {"text": "t", "at": at})
        stored = c.exec_driver_sql("SELECT at FROM note ORDER BY id DESC LIMIT 1").scalar()
        assert stored == general(at.astimezone(timezone.utc).replace(tzinfo=None))
        assert c.execute(select(NOTE.c.at).order_by(NOTE.c.id.desc()).limit(1)).scalar() == at
