"""Roll-ups: each local day's report facts, stored (table report_day), so a year's report adds up
365 stored days instead of reading a year of messages.

Kept current without touching any write path: every change a report can see leaves a new row
behind (a message, a system event for a status, priority, assignment or merge, a rating), so
the rows newer than the last watermark say which days changed: the touched conversations' days
(created, every reply and event, every rating) and, for a customer's new message, the 7 days
before it (a re-contact changes those days' resolutions). Those days are computed again from
the database; so is any day not stored yet. A change to the response targets or the business
calendar changes every duration and day boundary: the stored days are then all dropped. The
`report_rollups` job fills and refreshes the last two years in the background; a report computes
whatever is not stored yet and stores it."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Iterator

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.orm import Session

from helpdesk.models import EVENT, IN, REPLY, AppSetting
from helpdesk.models.tables import APP_SETTINGS, CONVERSATIONS as C, CSAT_RATINGS as R, MESSAGES as M, REPORT_DAYS as D
from helpdesk.services.base import Service, writes
from helpdesk.services.reports.collect import collect
from helpdesk.services.reports.figures import DayFacts

log = logging.getLogger(__name__)
STATE_KEY = "reports.rollups"
CHUNK = 500  # conversations per query when finding what changed
RECONTACT_DAYS = 7
KEEP_WARM_DAYS = 731  # the job keeps the last two years stored
# System events that change facts beyond their own day: the priority (which clock every duration
# ran on), the assignee (whose resolutions and ratings), merges and customer links.
WIDE_EVENTS = frozenset({"priority", "assigned", "transferred", "unassigned", "merged", "merged_into", "spam", "not_spam",
                         "customers_linked"})


def fingerprint(rules: Any) -> str:
    """What every stored day depends on besides the rows: the calendar (durations in business
    time, day boundaries) and the response targets (which priorities count business time), the
    shop's and each team's."""
    cal = rules.calendar
    text = repr((cal.timezone, cal.around_the_clock, sorted(cal.holidays), sorted(cal.hours.items()),
                 sorted((p, pol.first_response_minutes, pol.business_hours) for p, pol in rules.policies.items()),
                 # a team's own hours and targets count its conversations' durations
                 sorted((team_id, own.calendar.to_json() if own.calendar else None,
                         sorted((p, pol.first_response_minutes, pol.business_hours) for p, pol in own.policies.items()))
                        for team_id, own in rules.teams.items())))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Watermark:
    fingerprint: str
    message_id: int
    rating_id: int

    def as_json(self) -> dict[str, Any]:
        return {"fingerprint": self.fingerprint, "message_id": self.message_id, "rating_id": self.rating_id}


@dataclass
class Plan:
    """What one look at the database found: the stored days still good, the days to compute."""

    was: Watermark | None  # None: nothing stored is usable (first time, or the targets changed)
    now: Watermark
    dirty: set[date]
    stored: dict[date, DayFacts]


def _days(first: date, last: date) -> Iterator[date]:
    for i in range((last - first).days + 1):
        yield first + timedelta(days=i)


def _ranges(days: list[date], gap: int = 3) -> Iterator[tuple[date, date]]:
    """The days as (first, last) runs, each computed with one set of queries; runs fewer than
    `gap` days apart are joined (computing a stored day again costs less than another run)."""
    days = sorted(days)
    while days:
        first = last = days.pop(0)
        while days and (days[0] - last).days <= gap:
            last = days.pop(0)
        yield first, last


class ReportRollups(Service):
    # ---- reading ----------------------------------------------------------------------------

    @staticmethod
    def _watermarks(s: Session, rules: Any) -> tuple[Watermark | None, Watermark]:
        """The stored days' watermark (None: nothing stored is usable under these targets) and now's."""
        row = s.get(AppSetting, STATE_KEY)
        value = row.value if row and row.value else None
        fp = fingerprint(rules)
        was = Watermark(**value) if value and value.get("fingerprint") == fp else None
        return was, Watermark(fp, s.execute(select(func.coalesce(func.max(M.c.id), 0))).scalar_one(),
                              s.execute(select(func.coalesce(func.max(R.c.id), 0))).scalar_one())

    def plan(self, s: Session, rules: Any, first: date, last: date) -> Plan:
        was, now = self._watermarks(s, rules)
        dirty = self._changed_days(s, rules.calendar.tz, was, now) if was else set()
        stored = {} if was is None else {
            date.fromisoformat(r.day): DayFacts.from_json(r.facts)
            for r in s.execute(select(D.c.day, D.c.facts).where(D.c.day >= first.isoformat(),
                                                                 D.c.day <= last.isoformat()))
            if date.fromisoformat(r.day) not in dirty}
        return Plan(was, now, dirty, stored)

    @staticmethod
    def _changed_days(s: Session, tz: Any, was: Watermark, now: Watermark) -> set[date]:
        """The days whose facts the rows since the watermark change. A message changes its own day
        and its conversation's first day (first response, turns); a customer's message also the
        week before it (a re-contact of a resolution then); a rating its own day. A change of
        priority (every duration's clock), of assignee (whose resolutions and ratings), a merge or
        a customer link changes every day of the conversations concerned."""
        days: set[date] = set()
        touched: set[int] = set()
        wide: set[int] = set()
        linked: set[int] = set()

        def local(at: datetime) -> date:
            return at.astimezone(tz).date()

        if now.message_id > was.message_id:
            for m in s.execute(select(M.c.conversation_id, M.c.created_at, M.c.direction, M.c.kind, M.c.meta)
                               .where(M.c.id > was.message_id, M.c.id <= now.message_id)):
                touched.add(m.conversation_id)
                days.add(local(m.created_at))
                if m.direction == IN and m.kind == REPLY:
                    days.update(local(m.created_at) - timedelta(days=n) for n in range(1, RECONTACT_DAYS + 1))
                elif m.kind == EVENT:
                    what = (m.meta or {}).get("event")
                    if what in WIDE_EVENTS:
                        wide.add(m.conversation_id)
                    if what == "customers_linked":
                        linked.add(m.conversation_id)
        if now.rating_id > was.rating_id:
            days.update(local(at) for at in s.execute(select(R.c.created_at).where(
                R.c.id > was.rating_id, R.c.id <= now.rating_id)).scalars())
        if linked:  # two customers became one: all their conversations' re-contacts may change
            customers = select(C.c.customer_id).where(C.c.id.in_(linked))
            wide.update(s.execute(select(C.c.id).where(C.c.customer_id.in_(customers))).scalars())
        def created(chunk: list[int]) -> list[Select[datetime]]:
            return [select(C.c.created_at).where(C.c.id.in_(chunk))]

        def every_turn(chunk: list[int]) -> list[Select[datetime]]:
            return created(chunk) + [
                select(M.c.created_at).where(M.c.conversation_id.in_(chunk), M.c.kind.in_((REPLY, EVENT))),
                select(R.c.created_at).where(R.c.conversation_id.in_(chunk))]

        for ids, queries in ((sorted(touched - wide), created), (sorted(wide), every_turn)):
            for i in range(0, len(ids), CHUNK):
                for query in queries(ids[i:i + CHUNK]):
                    days.update(local(at) for at in s.execute(query).scalars())
        return days

    def facts(self, rules: Any, first: date, last: date) -> dict[date, DayFacts]:
        """Each day's facts from first to last: stored where still good, computed where not (and
        then stored, so the next report finds them)."""
        return self._compute(rules, first, last)[0]

    def _compute(self, rules: Any, first: date, last: date) -> tuple[dict[date, DayFacts], int]:
        with self.db.read() as s:
            plan = self.plan(s, rules, first, last)
            missing = [d for d in _days(first, last) if d not in plan.stored]
            fresh: dict[date, DayFacts] = {}
            for a, b in _ranges(missing):
                fresh.update(collect(s, rules, a, b))
            for day in fresh:  # a joined run computed stored days too: the new facts win
                plan.stored.pop(day, None)
        if fresh or plan.dirty or plan.was != plan.now:
            try:
                self.save(plan, fresh)
            except Exception:  # a report is never refused for a roll-up it could not keep
                log.exception("could not store the report's roll-ups")
        return {**plan.stored, **fresh}, len(fresh)

    # ---- writing ----------------------------------------------------------------------------

    @writes
    def save(self, plan: Plan, fresh: dict[date, DayFacts]) -> bool:
        """Store what a look computed, unless another look stored newer facts meanwhile."""
        with self.db.write() as tx:
            row = tx.session.get(AppSetting, STATE_KEY)
            current = row.value if row and row.value else None
            if plan.was is not None and current != plan.was.as_json():
                return False  # another look stored newer facts meanwhile; ours are older
            if plan.was is None and current and current.get("fingerprint") == plan.now.fingerprint:
                return False  # another look started storing under these targets since ours began
            conn = tx.session.connection()
            if plan.was is None:
                conn.execute(delete(D))
            elif plan.dirty:
                changed = sorted(d.isoformat() for d in plan.dirty)
                for i in range(0, len(changed), CHUNK):
                    conn.execute(delete(D).where(D.c.day.in_(changed[i:i + CHUNK])))
            if fresh:
                keys = [d.isoformat() for d in fresh]
                for i in range(0, len(keys), CHUNK):
                    conn.execute(delete(D).where(D.c.day.in_(keys[i:i + CHUNK])))
                conn.execute(insert(D), [{"day": d.isoformat(), "facts": f.to_json(), "computed_at": self.now()}
                                         for d, f in fresh.items()])
            row = row or AppSetting(key=STATE_KEY)
            row.value = plan.now.as_json()
            tx.session.add(row)
            return True

    def refresh(self, rules: Any, today: date, days: int = KEEP_WARM_DAYS, most_chunks: int | None = None) -> int:
        """Store every day of the last `days` that is missing or changed, a month at a time, newest
        first, at most `most_chunks` months (the job does a few each run, so stopping Helpdesk never
        waits long for it). A look that finds nothing to do costs a few small queries. Returns the
        days computed."""
        first = today - timedelta(days=days - 1)
        with self.db.read() as s:
            was, now = self._watermarks(s, rules)
            dirty = self._changed_days(s, rules.calendar.tz, was, now) if was else set()
            kept = set() if was is None else {date.fromisoformat(d) for d in s.execute(
                select(D.c.day).where(D.c.day >= first.isoformat(), D.c.day <= today.isoformat())).scalars()}
        todo = [d for d in _days(first, today) if d not in kept or d in dirty]
        months = sorted({(d.year, d.month) for d in todo}, reverse=True)
        if most_chunks is not None:
            months = months[:most_chunks]
        computed = 0
        for year, month in months:
            start = max(first, date(year, month, 1))
            end = min(today, (date(year, month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1))
            computed += self._compute(rules, start, end)[1]
        if not months and was != now:  # nothing to compute here: just note that it was looked at
            with self.db.read() as s:
                plan = self.plan(s, rules, today, today)
            self.save(plan, {})
        return computed

    @writes
    def forget(self) -> int:
        """Drop every stored day (the next report, or the job, computes them again)."""
        with self.db.write() as tx:
            conn = tx.session.connection()
            gone = conn.execute(select(func.count()).select_from(D)).scalar_one()
            conn.execute(delete(D))
            conn.execute(delete(APP_SETTINGS).where(APP_SETTINGS.c.key == STATE_KEY))
            return gone
