"""A period's report put together from its days' facts (see the package's docstring)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import func, or_, select

from helpdesk.models import OPEN
from helpdesk.models.tables import AGENTS, CONVERSATIONS as C, CUSTOMERS
from helpdesk.services.base import Service
from helpdesk.services.errors import ValidationFailed
from helpdesk.services.exports import csv_text
from helpdesk.services.payments.totals import payment_totals
from helpdesk.services.reports.collect import collect
from helpdesk.services.reports.figures import DayFacts, TimeFigure
from helpdesk.services.reports.rollups import ReportRollups
from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database
from helpdesk.services.sla import SlaService

MAX_DAYS = 731  # any period from a day to two years


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
    per_day: list[dict[str, Any]]
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
    # Per currency: requests made in the period, paid, outstanding (services/payments/totals.py).
    payments: list[dict[str, Any]] = field(default_factory=list)


class ReportService(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings, sla: SlaService) -> None:
        super().__init__(db, clock, settings)
        self.sla = sla
        self.rollups = ReportRollups(db, clock, settings)

    def summary(self, start: date, end: date, exact: bool = False, team_id: int | None = None) -> Summary:
        """Every figure for the period. From the stored days (the roll-ups: medians and p90s
        within 0.5 % of the exact ones), or with exact=True from every message again. With
        `team_id`, the figures of the conversations in that team's queue, counted exactly
        (the stored days are the whole shop's); the payments stay the shop's."""
        check_period(start, end)
        if (end - start).days >= MAX_DAYS:
            raise ValidationFailed("the period is too long", {"to": f"at most {MAX_DAYS} days after from"})
        rules = self.sla.rules()
        if exact or team_id is not None:
            with self.db.read() as s:
                days = collect(s, rules, start, end, team_id)
        else:
            days = self.rollups.facts(rules, start, end)
        total = DayFacts()
        for day in sorted(days):
            total.merge(days[day])
        with self.db.read() as s:
            team = [C.c.team_id == team_id] if team_id is not None else []
            backlog = s.execute(select(func.count()).select_from(C).where(C.c.status == OPEN, *team)).scalar_one()
            now = self.now()
            overdue = s.execute(select(func.count()).select_from(C).where(
                or_(C.c.response_due_at <= now, C.c.resolution_due_at <= now), *team)).scalar_one()
            names = {a.id: a.name for a in s.execute(select(AGENTS.c.id, AGENTS.c.name)).all()}
            zone = rules.calendar.tz
            money = payment_totals(s.connection(), datetime.combine(start, time.min, zone).astimezone(timezone.utc),
                                   datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(timezone.utc),
                                   now)
        agents = [AgentFigures(agent_id, names.get(agent_id, f"Agent #{agent_id}"), replies=f.replies,
                               first_response=TimeFigure.of(f.first), resolutions=f.resolutions,
                               csat_average=f.csat_sum / f.csat_count if f.csat_count else None,
                               csat_count=f.csat_count)
                  for agent_id, f in total.agents.items()]
        return Summary(
            start=start, end=end, timezone=rules.calendar.timezone, conversations_created=total.created,
            per_day=[{"date": d.isoformat(), "created": days[d].created, "resolved": days[d].resolved}
                     for d in sorted(days)],
            first_response=TimeFigure.of(total.first, total.first_within, total.first_judged),
            next_response=TimeFigure.of(total.next), resolution=TimeFigure.of(total.resolution),
            turns_customer_average=total.turns_customer / total.turns_conversations if total.turns_conversations
            else None,
            turns_agent_average=total.turns_agent / total.turns_conversations if total.turns_conversations else None,
            recontact_rate=total.recontacts / total.resolved if total.resolved else None,
            csat_average=total.csat_sum / total.csat_count if total.csat_count else None,
            csat_count=total.csat_count, busiest_hours=total.hours, backlog_now=backlog, overdue_now=overdue,
            agents=sorted(agents, key=lambda a: a.name), payments=money,
        )

    def refresh_rollups(self, most_months: int | None = 6) -> int:
        """Store the last two years' days that are missing or changed, newest first (the
        report_rollups job: a few months a run)."""
        rules = self.sla.rules()
        return self.rollups.refresh(rules, self.now().astimezone(rules.calendar.tz).date(), most_chunks=most_months)

    def rebuild_rollups(self, since: date | None = None) -> int:
        """Drop every stored day and compute them again, from `since` (default: the first
        conversation) to today. Returns how many days were stored."""
        self.rollups.forget()
        rules = self.sla.rules()
        today = self.now().astimezone(rules.calendar.tz).date()
        if since is None:
            with self.db.read() as s:
                oldest = s.execute(select(func.min(C.c.created_at))).scalar()
            since = oldest.astimezone(rules.calendar.tz).date() if oldest else today
        return self.rollups.refresh(rules, today, days=(today - since).days + 1)

    def conversations_csv(self, start: date, end: date, limit: int = 100_000, team_id: int | None = None) -> str:
        """Conversations created in the period (of one team's queue, with `team_id`), one row each."""
        check_period(start, end)
        tz = self.sla.rules().calendar.tz
        t0 = datetime.combine(start, time.min, tz)
        t1 = datetime.combine(end + timedelta(days=1), time.min, tz)
        K = CUSTOMERS
        A = AGENTS
        with self.db.read() as s:
            rows = s.execute(
                select(C.c.id, C.c.created_at, C.c.status, C.c.priority, C.c.channel, C.c.subject,
                       K.c.name.label("customer"), K.c.contact, A.c.name.label("assignee"), C.c.first_reply_at,
                       C.c.resolved_at, C.c.reopen_count)
                .join(K, K.c.id == C.c.customer_id).outerjoin(A, A.c.id == C.c.assignee_id)
                .where(C.c.created_at >= t0, C.c.created_at < t1,
                       *([C.c.team_id == team_id] if team_id is not None else [])).order_by(C.c.id).limit(limit)).all()
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
        for m in summary.payments:
            for what in ("requested", "paid", "outstanding"):
                rows.append(["all", f"payments {what} {m['currency']}", m[what]])
                rows.append(["all", f"payments {what} count {m['currency']}", m[f"{what}_count"]])
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
