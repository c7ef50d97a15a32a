"""Column types shared by the models."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy.engine import Dialect
from sqlalchemy.types import DateTime, TypeDecorator


# The last datetime bound for SQLite and its text, for every column of this type (each column
# has its own processor). A datetime never changes, and the kept one cannot be freed and its
# address reused while it is kept, so `is` finds the same moment.
_LAST_BOUND: list[tuple[datetime, str] | None] = [None]


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC as a naive timestamp and always hands back an aware UTC datetime,
    so SQLite (which has no time zones) and PostgreSQL behave the same."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        # SQLite's text form in one step, exactly as SQLAlchemy's SQLite DATETIME writes it
        # ("2026-03-01 10:30:15.250000"): the general path was ~6% of a customer message's cost.
        # A customer message binds the same `now` about eight times (message, conversation,
        # outbox, idempotency…): see _LAST_BOUND.
        last = _LAST_BOUND

        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            pair = last[0]  # one read: another thread may replace the pair, never half of it
            if pair is not None and pair[0] is value:
                return pair[1]
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            text = value.astimezone(timezone.utc).isoformat(" ", "microseconds")[:26]
            last[0] = (value, text)
            return text

        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], datetime | None] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        # SQLite's text read in one step (the general path, a regular expression and a wrapper,
        # was ~2 µs a column: a conversation's state has a dozen of them on every message).
        def process(value: str | datetime | None) -> datetime | None:
            if value is None:
                return None
            if isinstance(value, str):
                try:  # the zone parsed with the rest: datetime.replace() alone cost 0.8 µs, the parse 0.1
                    return datetime.fromisoformat(value + "+00:00")
                except ValueError:  # not SQLAlchemy's own text form
                    return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
            return value.replace(tzinfo=timezone.utc)

        return process

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)
