"""Business time: a weekly schedule in a time zone, with holidays, or around the clock.

All arithmetic walks the schedule's working intervals in local time and converts each
to UTC with zoneinfo, so nights, weekends, holidays and daylight-saving changes are
exact (a 9:00–17:00 day is 8 hours on the day clocks change, too)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterator
from zoneinfo import ZoneInfo

from helpdesk.services.errors import ValidationFailed

MAX_DAYS = 3 * 366  # a schedule with no working time at all must not loop forever
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "UTC"
    # weekday (0 = Monday) -> working intervals as (start, end) local times; end may be 24:00 as time.max
    hours: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    around_the_clock: bool = False
    # Worked out once, in __post_init__ (the dataclass is frozen): not part of equality.
    _days: dict[date, tuple[tuple[datetime, datetime], ...]] = field(init=False, repr=False, compare=False)
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _timed: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Working intervals per local day, in UTC: computed once per day, reused by every
        # duration (a report measures thousands of them over the same few weeks).
        object.__setattr__(self, "_days", {})
        # Asked for on every customer message (four deadlines): worked out once.
        object.__setattr__(self, "_zone", ZoneInfo(self.timezone))
        object.__setattr__(self, "_timed", self.around_the_clock or not any(
            end > start for intervals in self.hours.values() for start, end in intervals))

    def __hash__(self) -> int:
        return hash((self.timezone, self.around_the_clock, self.holidays,
                     tuple(sorted(self.hours.items()))))

    @property
    def tz(self) -> ZoneInfo:
        return self._zone

    def _day(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        cached = self._days.get(day)
        if cached is None:
            tz = self.tz
            spans = []
            if day not in self.holidays:
                for open_at, close_at in self.hours.get(day.weekday(), ()):
                    a = datetime.combine(day, open_at, tz).astimezone(timezone.utc)
                    b = (datetime.combine(day + timedelta(days=1), time.min, tz) if close_at == time.max
                         else datetime.combine(day, close_at, tz)).astimezone(timezone.utc)
                    if b > a:
                        spans.append((a, b))
            cached = tuple(spans)
            if len(self._days) < 20_000:
                self._days[day] = cached
        return cached

    @classmethod
    def office(cls, tz: str = "UTC", start: time = time(9), end: time = time(17),
               days: tuple[int, ...] = (0, 1, 2, 3, 4), holidays: frozenset[date] = frozenset()) -> "BusinessCalendar":
        return cls(timezone=tz, hours={d: ((start, end),) for d in days}, holidays=holidays)

    @classmethod
    def always(cls) -> "BusinessCalendar":
        return cls(around_the_clock=True)

    def _has_hours(self) -> bool:
        return any(end > start for intervals in self.hours.values() for start, end in intervals)

    def intervals(self, start: datetime, end: datetime | None = None) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals (UTC, clipped to start..end) from `start` onwards."""
        tz = self.tz
        day = start.astimezone(tz).date()
        last = end.astimezone(tz).date() if end is not None else None
        for _ in range(MAX_DAYS):
            if last is not None and day > last:
                return
            for a, b in self._day(day):
                a, b = max(a, start), (min(b, end) if end is not None else b)
                if b > a:
                    yield a, b
            day += timedelta(days=1)

    def is_working(self, at: datetime) -> bool:
        """Whether `at` falls in working time (always, around the clock or with no hours set)."""
        if self.around_the_clock or not self._has_hours():
            return True
        return any(a <= at < b for a, b in self._day(at.astimezone(self.tz).date()))

    def next_opening(self, after: datetime) -> datetime | None:
        """When working time next begins after `after` (None around the clock or with no hours)."""
        if self.around_the_clock or not self._has_hours():
            return None
        return next((a for a, _ in self.intervals(after) if a > after), None)

    def seconds_between(self, start: datetime, end: datetime) -> float:
        """Working seconds from start to end (0 if end is not after start)."""
        if end <= start:
            return 0.0
        if self.around_the_clock or not self._has_hours():
            return (end - start).total_seconds()
        return sum((b - a).total_seconds() for a, b in self.intervals(start, end))

    def add(self, start: datetime, seconds: float) -> datetime:
        """The moment `seconds` of working time after `start`. (intervals() unrolled: this runs
        four times for every customer message.)"""
        if self._timed:
            return start + timedelta(seconds=seconds)
        remaining = max(0.0, seconds)
        day = start.astimezone(self._zone).date()
        one_day = timedelta(days=1)
        for _ in range(MAX_DAYS):
            for a, b in self._day(day):
                if b <= start:
                    continue
                if a < start:
                    a = start
                length = (b - a).total_seconds()
                if remaining <= length:
                    return a + timedelta(seconds=remaining)
                remaining -= length
            day += one_day
        raise ValueError("the business calendar has no working time in the next three years")

    # ---- stored form -------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "timezone": self.timezone, "around_the_clock": self.around_the_clock,
            "hours": {WEEKDAYS[d]: [[a.strftime("%H:%M"), "24:00" if b == time.max else b.strftime("%H:%M")]
                                    for a, b in intervals] for d, intervals in sorted(self.hours.items())},
            "holidays": sorted(d.isoformat() for d in self.holidays),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "BusinessCalendar":
        def parse(value: str) -> time:
            return time.max if value == "24:00" else time.fromisoformat(value)

        ZoneInfo(data.get("timezone", "UTC"))  # raises for an unknown zone
        hours = {WEEKDAYS.index(day): tuple((parse(a), parse(b)) for a, b in intervals)
                 for day, intervals in (data.get("hours") or {}).items()}
        return cls(timezone=data.get("timezone", "UTC"), hours=hours,
                   holidays=frozenset(date.fromisoformat(d) for d in data.get("holidays") or []),
                   around_the_clock=bool(data.get("around_the_clock")))


def parse_schedule(data: Any, field: str = "hours") -> BusinessCalendar:
    """A stored or sent schedule (BusinessCalendar.to_json), or ValidationFailed naming `field`."""
    try:
        if not isinstance(data, dict):
            raise ValueError("expected an object with timezone, hours and holidays")
        return BusinessCalendar.from_json(data)
    except Exception as exc:
        raise ValidationFailed("the hours were not saved", {field: f"not a weekly schedule: {exc}"}) from None
