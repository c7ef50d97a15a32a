"""Reports: how the service is doing over a period, overall and per agent.

Figures (the ones the asynchronous-messaging literature argues with): first response
time, next response time and resolution time (median, p90; first response also as the
share within target), conversations created and resolved per day, turns per
conversation, re-contact rate (the customer back within 7 days of a resolution), CSAT,
busiest hours (weekday × hour of customer messages), backlog and overdue now. Times are
counted in business hours when the conversation's priority policy says so. Days and hours
are in the business calendar's time zone.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from helpdesk.models import (EVENT, IN, OPEN, OUT, REPLY, Agent, Conversation, CsatRating, Message)
from helpdesk.services.base import Service
from helpdesk.services.calendar import BusinessCalendar
from helpdesk.services.exports import csv_text
from helpdesk.services.errors import ValidationFailed

RECONTACT_WINDOW = timedelta(days=7)
MAX_DAYS = 366
C = Conversation.__table__  # type: ignore[attr-defined]
M = Message.__table__  # type: ignore[attr-defined]


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass
class TimeFigure:
    count: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None
    within_target_share: float | None = None

    @classmethod
    def of(cls, values: list[float], within: list[bool] | None = None) -> "TimeFigure":
        return cls(count=len(values), median_seconds=statistics.median(values) if values else None,
                   p90_seconds=percentile(values, 0.9),
                   within_target_share=(sum(within) / len(within)) if within else None)


@dataclass
class AgentFigures:
    agent_id: int
    name: str
    replies: int = 0
    first_response: TimeFigure = field(default_factory=TimeFigure)
    resolutions: int = 0
    csat_average: float | None = None
    csat_count: int = 0


@dataclass
class Summary:
    start: date
    end: date
    timezone: str
    conversations_created: int
    per_day: list[dict]
    first_response: TimeFigure
    next_response: TimeFigure
    resolution: TimeFigure
    turns_customer_average: float | None
    turns_agent_average: float | None
    recontact_rate: float | None
    csat_average: float | None
    csat_count: int
    busiest_hours: list[list[int]]  # [weekday 0=Monday][hour] -> customer messages
    backlog_now: int
    overdue_now: int
    agents: list[AgentFigures]


class ReportService(Service):
    def __init__(self, db, clock, settings, sla) -> None:  # type: ignore[no-untyped-def]
        super().__init__(db, clock, settings)
        self.sla = sla

    def summary(self, start: date, end: date) -> Summary:
        check_period(start, end)
        if (end - start).days >= MAX_DAYS:
            raise ValidationFailed("the period is too long", {"to": f"at most {MAX_DAYS} days after from"})
        rules = self.sla.rules()
        tz = rules.calendar.tz
        always = BusinessCalendar.always()
        t0 = datetime.combine(start, time.min, tz)
        t1 = datetime.combine(end + timedelta(days=1), time.min, tz)

        def span(priority: str, a: datetime, b: datetime) -> float:
            policy = rules.policies.get(priority)
            calendar = rules.calendar if policy is None or policy.business_hours else always
            return calendar.seconds_between(a, b)

        # The period's conversations as a subquery, not a list of ids: thousands of bound
        # ids made PostgreSQL's plan 5x slower (measured at 1 M messages).
        in_period = (C.c.created_at >= t0, C.c.created_at < t1)
        created_in_period = select(C.c.id).where(*in_period).scalar_subquery()
        with self.db.read() as s:
            created = s.execute(select(C.c.id, C.c.created_at, C.c.first_reply_at, C.c.priority)
                                .where(*in_period)).all()
            first_authors = dict(s.execute(
                select(M.c.conversation_id, M.c.author_agent_id)
                .where(M.c.id.in_(select(func.min(M.c.id)).where(M.c.direction == OUT, M.c.kind == REPLY,
                                                                   M.c.author_agent_id.is_not(None),
                                                                   M.c.conversation_id.in_(created_in_period))
                                  .group_by(M.c.conversation_id)))).all()) if created else {}
            turns = s.execute(select(M.c.conversation_id, M.c.direction, func.count())
                              .where(M.c.kind == REPLY, M.c.conversation_id.in_(created_in_period))
                              .group_by(M.c.conversation_id, M.c.direction)).all() if created else []
            public = [m for m in s.execute(
                select(M.c.conversation_id, M.c.direction, M.c.created_at, M.c.author_agent_id, M.c.author_token_id,
                       M.c.meta).where(M.c.kind == REPLY, M.c.created_at >= t0, M.c.created_at < t1)
                .order_by(M.c.conversation_id, M.c.id)).all()
                # An automation rule's automatic reply is no response (it answers nothing).
                if not (m.direction == OUT and m.author_agent_id is None and m.author_token_id is None
                        and (m.meta or {}).get("automatic"))]
            events = s.execute(select(M.c.conversation_id, M.c.created_at, M.c.meta, M.c.author_agent_id)
                               .where(M.c.kind == EVENT, M.c.created_at >= t0, M.c.created_at < t1)).all()
            touched = {r.conversation_id for r in public} | {e.conversation_id for e in events}
            touched_in_period = select(M.c.conversation_id).where(
                M.c.kind.in_((REPLY, EVENT)), M.c.created_at >= t0, M.c.created_at < t1).scalar_subquery()
            conversations = {r.id: r for r in s.execute(
                select(C.c.id, C.c.customer_id, C.c.created_at, C.c.first_reply_at, C.c.priority, C.c.assignee_id)
                .where(C.c.id.in_(touched_in_period))).all()} if touched else {}
            ratings = s.execute(select(CsatRating.conversation_id, CsatRating.rating, C.c.assignee_id)
                                .join(C, C.c.id == CsatRating.conversation_id)
                                .where(CsatRating.created_at >= t0, CsatRating.created_at < t1)).all()
            now = self.now()
            backlog = s.execute(select(func.count()).select_from(C).where(C.c.status == OPEN)).scalar_one()
            overdue = s.execute(select(func.count()).select_from(C).where(
                or_(C.c.response_due_at <= now, C.c.resolution_due_at <= now))).scalar_one()
            agents = {a.id: a.name for a in s.execute(select(Agent.id, Agent.name)).all()}  # type: ignore[call-overload]

            resolutions = [(e.conversation_id, e.created_at, e.author_agent_id) for e in events
                           if (e.meta or {}).get("event") in ("resolved", "auto_resolved")]
            resolved_customers = {conversations[c].customer_id for c, _, _ in resolutions if c in conversations}
            later = s.execute(select(C.c.customer_id, M.c.created_at).join(C, C.c.id == M.c.conversation_id).where(
                M.c.direction == IN, M.c.kind == REPLY, C.c.customer_id.in_(resolved_customers),
                M.c.created_at > t0, M.c.created_at <= t1 + RECONTACT_WINDOW)).all() if resolved_customers else []

        # first response: conversations created in the period
        per_agent: dict[int, AgentFigures] = {}

        def agent(agent_id: int | None) -> AgentFigures | None:
            if agent_id is None:
                return None
            if agent_id not in per_agent:
                per_agent[agent_id] = AgentFigures(agent_id, agents.get(agent_id, f"Agent #{agent_id}"))
            return per_agent[agent_id]

        first_times, first_within = [], []
        agent_first: dict[int, list[float]] = defaultdict(list)
        for r in created:
            if r.first_reply_at is None:
                continue
            seconds = span(r.priority, r.created_at, r.first_reply_at)
            policy = rules.policies.get(r.priority)
            first_times.append(seconds)
            if policy:
                first_within.append(seconds <= policy.seconds("first_response"))
            author = first_authors.get(r.id)
            if author is not None:
                agent_first[author].append(seconds)
        for agent_id, values in agent_first.items():
            a = agent(agent_id)
            a.first_response = TimeFigure.of(values)  # type: ignore[union-attr]

        # next response: a customer message after the first reply, answered by the next agent reply
        next_times: list[float] = []
        waiting_since: dict[int, datetime] = {}
        for m in public:
            conv = conversations.get(m.conversation_id)
            if conv is None:
                continue
            if m.direction == IN:
                if conv.first_reply_at is not None and m.created_at > conv.first_reply_at:
                    waiting_since.setdefault(m.conversation_id, m.created_at)
            else:
                a = agent(m.author_agent_id)
                if a:
                    a.replies += 1
                started = waiting_since.pop(m.conversation_id, None)
                if started is not None:
                    next_times.append(span(conv.priority, started, m.created_at))

        # resolution: from the start of the conversation to each resolution in the period
        resolution_times = []
        for conversation_id, at, author in resolutions:
            conv = conversations.get(conversation_id)
            if conv is None:
                continue
            resolution_times.append(span(conv.priority, conv.created_at, at))
            a = agent(author or conv.assignee_id)
            if a:
                a.resolutions += 1

        # re-contact: the same customer writes again within 7 days of a resolution
        later_by_customer: dict[int, list[datetime]] = defaultdict(list)
        for customer_id, at in later:
            later_by_customer[customer_id].append(at)
        recontacts = 0
        for conversation_id, at, _ in resolutions:
            conv = conversations.get(conversation_id)
            if conv and any(at < t <= at + RECONTACT_WINDOW for t in later_by_customer.get(conv.customer_id, [])):
                recontacts += 1

        # per day and busiest hours, in the calendar's time zone
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        created_per_day: dict[date, int] = defaultdict(int)
        for r in created:
            created_per_day[r.created_at.astimezone(tz).date()] += 1
        resolved_per_day: dict[date, int] = defaultdict(int)
        for _, at, _ in resolutions:
            resolved_per_day[at.astimezone(tz).date()] += 1
        hours = [[0] * 24 for _ in range(7)]
        for m in public:
            if m.direction == IN:
                local = m.created_at.astimezone(tz)
                hours[local.weekday()][local.hour] += 1

        turn_counts: dict[int, dict[str, int]] = defaultdict(dict)
        for conversation_id, direction, count in turns:
            turn_counts[conversation_id][direction] = count
        customer_turns = [t.get(IN, 0) for t in turn_counts.values()]
        agent_turns = [t.get(OUT, 0) for t in turn_counts.values()]

        ratings_by_agent: dict[int, list[int]] = defaultdict(list)
        for _, rating, assignee in ratings:
            if assignee is not None:
                ratings_by_agent[assignee].append(rating)
        for agent_id, values in ratings_by_agent.items():
            a = agent(agent_id)
            a.csat_average, a.csat_count = statistics.mean(values), len(values)  # type: ignore[union-attr]

        return Summary(
            start=start, end=end, timezone=rules.calendar.timezone, conversations_created=len(created),
            per_day=[{"date": d.isoformat(), "created": created_per_day.get(d, 0),
                      "resolved": resolved_per_day.get(d, 0)} for d in days],
            first_response=TimeFigure.of(first_times, first_within), next_response=TimeFigure.of(next_times),
            resolution=TimeFigure.of(resolution_times),
            turns_customer_average=statistics.mean(customer_turns) if customer_turns else None,
            turns_agent_average=statistics.mean(agent_turns) if agent_turns else None,
            recontact_rate=recontacts / len(resolutions) if resolutions else None,
            csat_average=statistics.mean([r.rating for r in ratings]) if ratings else None,
            csat_count=len(ratings), busiest_hours=hours, backlog_now=backlog, overdue_now=overdue,
            agents=sorted(per_agent.values(), key=lambda a: a.name),
        )

    def conversations_csv(self, start: date, end: date, limit: int = 100_000) -> str:
        """Conversations created in the period, one row each (for spreadsheets)."""
        check_period(start, end)
        tz = self.sla.rules().calendar.tz
        t0 = datetime.combine(start, time.min, tz)
        t1 = datetime.combine(end + timedelta(days=1), time.min, tz)
        from helpdesk.models import Customer
        K = Customer.__table__  # type: ignore[attr-defined]
        A = Agent.__table__  # type: ignore[attr-defined]
        with self.db.read() as s:
            rows = s.execute(
                select(C.c.id, C.c.created_at, C.c.status, C.c.priority, C.c.channel, C.c.subject,
                       K.c.name.label("customer"), K.c.contact, A.c.name.label("assignee"), C.c.first_reply_at,
                       C.c.resolved_at, C.c.reopen_count)
                .join(K, K.c.id == C.c.customer_id).outerjoin(A, A.c.id == C.c.assignee_id)
                .where(C.c.created_at >= t0, C.c.created_at < t1).order_by(C.c.id).limit(limit)).all()
        header = ["id", "created_at", "status", "priority", "channel", "subject", "customer", "contact",
                  "assignee", "first_reply_at", "resolved_at", "reopened"]
        return csv_text([header] + [
            [r.id, r.created_at.isoformat(), r.status, r.priority, r.channel, r.subject, r.customer, r.contact,
             r.assignee or "", r.first_reply_at.isoformat() if r.first_reply_at else "",
             r.resolved_at.isoformat() if r.resolved_at else "", r.reopen_count] for r in rows])

    @staticmethod
    def to_csv(summary: Summary) -> str:
        """The summary as CSV: one row per figure (overall and per agent), then one per day."""
        rows: list[list[Any]] = [["scope", "figure", "value"]]

        def figure(scope: str, name: str, f: TimeFigure) -> None:
            rows.append([scope, f"{name} count", f.count])
            rows.append([scope, f"{name} median seconds", _num(f.median_seconds)])
            rows.append([scope, f"{name} p90 seconds", _num(f.p90_seconds)])
            if f.within_target_share is not None:
                rows.append([scope, f"{name} within target", _num(f.within_target_share)])

        rows.append(["all", "conversations created", summary.conversations_created])
        figure("all", "first response", summary.first_response)
        figure("all", "next response", summary.next_response)
        figure("all", "resolution", summary.resolution)
        for name, value in (("turns per conversation (customer)", summary.turns_customer_average),
                            ("turns per conversation (agent)", summary.turns_agent_average),
                            ("re-contact rate", summary.recontact_rate), ("csat average", summary.csat_average),
                            ("csat count", summary.csat_count), ("backlog now", summary.backlog_now),
                            ("overdue now", summary.overdue_now)):
            rows.append(["all", name, _num(value)])
        for a in summary.agents:
            rows.append([a.name, "replies", a.replies])
            figure(a.name, "first response", a.first_response)
            rows.append([a.name, "resolutions", a.resolutions])
            rows.append([a.name, "csat average", _num(a.csat_average)])
        rows += [[], ["date", "created", "resolved"]]
        rows += [[day["date"], day["created"], day["resolved"]] for day in summary.per_day]
        return csv_text(rows)


# Reports cover days a shop has been open: this century, at most ten years at a time.
EARLIEST, LATEST, LONGEST = date(2000, 1, 1), date(2099, 12, 31), timedelta(days=3660)


def check_period(start: date, end: date) -> None:
    """A period people can ask for, or ValidationFailed naming what is wrong (never an overflow)."""
    fields: dict[str, str] = {}
    for name, day in (("from", start), ("to", end)):
        if not EARLIEST <= day <= LATEST:
            fields[name] = f"must be a date from {EARLIEST} to {LATEST}"
    if not fields and end < start:
        fields["to"] = "must not be before from"
    if not fields and end - start > LONGEST:
        fields["to"] = "the period can be at most ten years"
    if fields:
        raise ValidationFailed("the period is not valid", fields)


def _num(value: Any) -> Any:
    if value is None:
        return ""
    return round(value, 4) if isinstance(value, float) else value
