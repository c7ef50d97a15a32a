"""Response-time targets (SLA): policies, the clocks on each conversation, breaches.

The rules (docs/architecture.md, README "What agents get"):
- A clock runs only while the conversation waits on the team (status open); pending,
  snoozed and resolved stop it. Business-hours policies count only working time.
- first_response: from the first customer message to the first public reply.
  next_response: from the oldest unanswered customer message after that, to the next reply.
  resolution: from the message that opened the cycle until resolved.
- A breach is recorded once per target and per customer message that started the wait,
  stamped with the due time, so a PC that was off catches up correctly at start.
- "At risk" from 80 % of a target used.
- A team may keep its own business hours and targets (a workshop that opens at 8): a
  conversation's clocks count in its team's, and in the shop's where the team has none.

Clock state lives in columns of the conversation (see models.Conversation); the due and
at-risk times are precomputed whenever a clock starts, pauses, resumes or its policy
changes, so scans and inbox views are indexed range queries.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from datetime import datetime, tzinfo
from typing import Any

import tzlocal
from sqlalchemy import ColumnElement, and_, exists, insert, literal, or_, select, update
from sqlmodel import col
from sqlalchemy.engine import Connection

from helpdesk.models import (EVENT, OPEN, OUT, PENDING, PRIORITIES, RESOLVED, SNOOZED, SPAM, AppSetting, Conversation,
                             SlaBreach, SlaPolicy)
from helpdesk.models.tables import CONVERSATIONS as C, MESSAGES as M, SLA_BREACHES as B, TEAMS
from helpdesk.events import CONVERSATION_UPDATED, OUTBOX_ENQUEUED, SLA_BREACHED, TEAMS_CHANGED
from helpdesk.services.base import Actor, Service, audit, require_admin, writes
from helpdesk.services.automation.record import record as record_for_rules
from helpdesk.services.calendar import BusinessCalendar
from helpdesk.services.errors import NotFound, ValidationFailed
from helpdesk.services.outbox import enqueue

AT_RISK_SHARE = 0.8
CALENDAR_KEY = "business_calendar"
# Words for people: the target's name, and the short form inbox rows use ("First reply due in 20 min").
TARGET_LABELS = {"first_response": "First response", "next_response": "Next response", "resolution": "Resolution"}
DUE_LABELS = {"first_response": "First reply", "next_response": "Reply", "resolution": "Resolution"}

# What a deadline shown on screen is computed from (next_due): a list needs only these.
DUE_COLUMNS = ("response_target", "response_due_at", "response_risk_at", "resolution_due_at", "resolution_risk_at")


@dataclass
class Clocks:
    """The SLA columns of one conversation."""

    response_target: str | None = None
    response_message_id: int | None = None
    response_elapsed: int = 0
    response_resumed_at: datetime | None = None
    response_due_at: datetime | None = None
    response_risk_at: datetime | None = None
    resolution_message_id: int | None = None
    resolution_elapsed: int = 0
    resolution_resumed_at: datetime | None = None
    resolution_due_at: datetime | None = None
    resolution_risk_at: datetime | None = None

    @classmethod
    def of(cls, row: Any) -> "Clocks":
        return cls(**{name: getattr(row, name) for name in CLOCK_NAMES})

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in CLOCK_NAMES}

    def apply_to(self, conversation: Conversation) -> None:
        for name, value in self.values().items():
            setattr(conversation, name, value)


CLOCK_NAMES = tuple(f.name for f in fields(Clocks))  # dataclasses.fields() is slow for every message


@dataclass(frozen=True)
class Policy:
    priority: str
    first_response_minutes: int
    next_response_minutes: int
    resolution_minutes: int
    business_hours: bool

    def seconds(self, target: str) -> int:
        return 60 * {"first_response": self.first_response_minutes, "next_response": self.next_response_minutes,
                     "resolution": self.resolution_minutes}[target]


@dataclass(frozen=True)
class Due:
    """The next deadline of a conversation, for people."""

    target: str
    due_at: datetime
    at_risk: bool
    overdue: bool


@dataclass(frozen=True)
class TeamTime:
    """A team's own business hours (None: the shop's) and targets (a priority left out: the shop's)."""

    calendar: BusinessCalendar | None = None
    policies: dict[str, Policy] = field(default_factory=dict)


class SlaRules:
    """Pure clock arithmetic for a set of policies and a calendar, and the teams' own."""

    def __init__(self, policies: dict[str, Policy], calendar: BusinessCalendar,
                 teams: dict[int, TeamTime] | None = None) -> None:
        self.policies = policies
        self.calendar = calendar
        self.teams = teams or {}
        self._always = BusinessCalendar.always()

    def policy(self, priority: str, team_id: int | None = None) -> Policy | None:
        """The targets a conversation of this priority in this team (None: no team) is held to."""
        own = self.teams.get(team_id) if team_id is not None else None
        return (own.policies.get(priority) if own is not None else None) or self.policies.get(priority)

    def calendar_of(self, team_id: int | None = None) -> BusinessCalendar:
        """The business hours a team keeps (the shop's unless it has its own)."""
        own = self.teams.get(team_id) if team_id is not None else None
        return own.calendar if own is not None and own.calendar is not None else self.calendar

    def _calendar(self, priority: str, team_id: int | None = None) -> BusinessCalendar:
        policy = self.policy(priority, team_id)
        return self.calendar_of(team_id) if policy is None or policy.business_hours else self._always

    # transitions ------------------------------------------------------------------------

    @staticmethod
    def both_running(c: Clocks | Any) -> bool:
        """Both clocks already run from an earlier message: another customer message changes
        neither, nor their deadlines (computed from the same start, time spent and policy; a
        change of policy, hours or team reschedules every running clock when it is made)."""
        return c.response_message_id is not None and c.response_resumed_at is not None \
            and c.resolution_message_id is not None and c.resolution_resumed_at is not None

    def customer_wrote(self, c: Clocks, message_id: int, replied_before: bool, now: datetime,
                       priority: str, team_id: int | None = None) -> Clocks:
        if c.response_message_id is None:
            c.response_target = "next_response" if replied_before else "first_response"
            c.response_message_id, c.response_elapsed, c.response_resumed_at = message_id, 0, now
        elif c.response_resumed_at is None:
            c.response_resumed_at = now
        if c.resolution_message_id is None:
            c.resolution_message_id, c.resolution_elapsed, c.resolution_resumed_at = message_id, 0, now
        elif c.resolution_resumed_at is None:
            c.resolution_resumed_at = now
        return self.schedule(c, priority, team_id)

    def replied(self, c: Clocks, new_status: str, now: datetime, priority: str, team_id: int | None = None) -> Clocks:
        c.response_target, c.response_message_id, c.response_elapsed, c.response_resumed_at = None, None, 0, None
        return self.status_changed(c, new_status, now, priority, start_id=None, team_id=team_id)

    def status_changed(self, c: Clocks, new_status: str, now: datetime, priority: str,
                       start_id: int | None, team_id: int | None = None) -> Clocks:
        cal = self._calendar(priority, team_id)
        if new_status in (RESOLVED, SPAM):  # nothing is owed on either
            c.response_target, c.response_message_id, c.response_elapsed, c.response_resumed_at = None, None, 0, None
            c.resolution_message_id, c.resolution_elapsed, c.resolution_resumed_at = None, 0, None
        elif new_status in (PENDING, SNOOZED):
            for part in ("response", "resolution"):
                resumed = getattr(c, f"{part}_resumed_at")
                if resumed is not None:
                    setattr(c, f"{part}_elapsed", getattr(c, f"{part}_elapsed") + int(cal.seconds_between(resumed, now)))
                    setattr(c, f"{part}_resumed_at", None)
        elif new_status == OPEN:
            if c.response_message_id is not None and c.response_resumed_at is None:
                c.response_resumed_at = now
            if c.resolution_message_id is None and start_id is not None:
                c.resolution_message_id, c.resolution_elapsed, c.resolution_resumed_at = start_id, 0, now
            elif c.resolution_message_id is not None and c.resolution_resumed_at is None:
                c.resolution_resumed_at = now
        return self.schedule(c, priority, team_id)

    def schedule(self, c: Clocks, priority: str, team_id: int | None = None) -> Clocks:
        """Recompute due and at-risk times of the running clocks (paused ones have none)."""
        cal = self._calendar(priority, team_id)
        policy = self.policy(priority, team_id)
        for part, target in (("response", c.response_target), ("resolution", "resolution")):
            resumed = getattr(c, f"{part}_resumed_at")
            if policy is None or resumed is None or target is None:
                setattr(c, f"{part}_due_at", None)
                setattr(c, f"{part}_risk_at", None)
                continue
            total = policy.seconds(target)
            elapsed = getattr(c, f"{part}_elapsed")
            setattr(c, f"{part}_due_at", cal.add(resumed, max(0, total - elapsed)))
            setattr(c, f"{part}_risk_at", cal.add(resumed, max(0.0, AT_RISK_SHARE * total - elapsed)))
        return c

    @staticmethod
    def due_of(conversation: Any, now: datetime) -> Due | None:
        """The next deadline of a conversation; only one waiting on the team (open) has any."""
        return SlaRules.next_due(conversation, now) if conversation.status == OPEN else None

    @staticmethod
    def next_due(c: Clocks | Any, now: datetime) -> Due | None:
        """c: Clocks, or anything with its five DUE_COLUMNS (a conversation, an inbox page's row)."""
        candidates = []
        if c.response_due_at is not None and c.response_target:
            candidates.append((c.response_due_at, c.response_target, c.response_risk_at))
        if c.resolution_due_at is not None:
            candidates.append((c.resolution_due_at, "resolution", c.resolution_risk_at))
        if not candidates:
            return None
        due_at, target, risk_at = min(candidates, key=lambda x: x[0])
        return Due(target=target, due_at=due_at, overdue=due_at <= now,
                   at_risk=due_at > now and risk_at is not None and risk_at <= now)


def _check_policy(priority: str, *minutes: int) -> dict[str, str]:
    """What is wrong with a priority's three targets (first, next, resolution), by field."""
    wrong: dict[str, str] = {}
    if priority not in PRIORITIES:
        wrong["priority"] = "must be urgent, high, normal or low"
    for name, value in zip(("first_response_minutes", "next_response_minutes", "resolution_minutes"), minutes):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 60 * 24 * 365:
            wrong[name] = "must be a number of minutes from 1 to 525600"
    return wrong


class SlaService(Service):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rules: SlaRules | None = None
        self._lock = threading.Lock()

    # ---- policies and calendar ------------------------------------------------------------

    def rules(self) -> SlaRules:
        with self._lock:
            if self._rules is None:
                self._rules = SlaRules(self.policies(), self.calendar(), self.team_times())
            return self._rules

    def team_times(self) -> dict[int, TeamTime]:
        """Every team that keeps hours or targets of its own."""
        with self.db.read() as s:
            rows = s.execute(select(TEAMS.c.id, TEAMS.c.hours, TEAMS.c.targets)
                             .where(or_(TEAMS.c.hours.is_not(None), TEAMS.c.targets.is_not(None)))).all()
        return {r.id: TeamTime(BusinessCalendar.from_json(r.hours) if r.hours else None,
                               {priority: Policy(priority, t["first_response_minutes"], t["next_response_minutes"],
                                                 t["resolution_minutes"], bool(t["business_hours"]))
                                for priority, t in (r.targets or {}).items()})
                for r in rows}

    def team_time(self, team_id: int) -> TeamTime:
        return self.team_times().get(team_id, TeamTime())

    def policies(self) -> dict[str, Policy]:
        with self.db.read() as s:
            rows = s.execute(select(SlaPolicy)).scalars().all()
            return {r.priority: Policy(r.priority, r.first_response_minutes, r.next_response_minutes,
                                       r.resolution_minutes, r.business_hours) for r in rows}

    def calendar(self) -> BusinessCalendar:
        with self.db.read() as s:
            setting = s.get(AppSetting, CALENDAR_KEY)
        if setting is None or not setting.value:
            try:
                zone = tzlocal.get_localzone_name() or "UTC"
            except Exception:
                zone = "UTC"
            return BusinessCalendar.office(zone)  # Monday to Friday, 9:00 to 17:00, local time
        return BusinessCalendar.from_json(setting.value)

    def set_policy(self, priority: str, first_response_minutes: int, next_response_minutes: int,
                   resolution_minutes: int, business_hours: bool, actor: Actor) -> Policy:
        require_admin(actor, "change response targets")
        fields_ = _check_policy(priority, first_response_minutes, next_response_minutes, resolution_minutes)
        if fields_:
            raise ValidationFailed("the policy was not saved", fields_)
        self._save_policy(priority, first_response_minutes, next_response_minutes, resolution_minutes,
                          business_hours, actor)
        self.refresh()
        return self.policies()[priority]

    @writes
    def _save_policy(self, priority: str, first_response_minutes: int, next_response_minutes: int,
                     resolution_minutes: int, business_hours: bool, actor: Actor) -> None:
        with self.db.write() as tx:
            policy = tx.session.get(SlaPolicy, priority) or SlaPolicy(priority=priority, first_response_minutes=1,
                                                                      next_response_minutes=1, resolution_minutes=1)
            policy.first_response_minutes = first_response_minutes
            policy.next_response_minutes = next_response_minutes
            policy.resolution_minutes = resolution_minutes
            policy.business_hours = business_hours
            tx.session.add(policy)
            audit(tx.session, self.now(), actor, "sla.policy", priority=priority, first=first_response_minutes,
                  next=next_response_minutes, resolution=resolution_minutes, business_hours=business_hours)

    def set_calendar(self, calendar: BusinessCalendar, actor: Actor) -> None:
        require_admin(actor, "change business hours")
        self._save_calendar(calendar, actor)
        self.refresh()

    @writes
    def _save_calendar(self, calendar: BusinessCalendar, actor: Actor) -> None:
        with self.db.write() as tx:
            setting = tx.session.get(AppSetting, CALENDAR_KEY) or AppSetting(key=CALENDAR_KEY)
            setting.value = calendar.to_json()
            tx.session.add(setting)
            audit(tx.session, self.now(), actor, "sla.calendar", calendar=setting.value)

    def set_team_hours(self, team_id: int, calendar: BusinessCalendar | None, actor: Actor) -> TeamTime:
        """A team's own business hours, or None: it keeps the shop's again. Answers the team's time."""
        require_admin(actor, "change a team's business hours")
        self._save_team(team_id, "hours", calendar.to_json() if calendar is not None else None, actor)
        self.refresh()
        return self.team_time(team_id)

    def set_team_targets(self, team_id: int, policies: list[Policy] | None, actor: Actor) -> TeamTime:
        """A team's own response targets (a priority left out keeps the shop's), or None for none."""
        require_admin(actor, "change a team's response targets")
        fields_: dict[str, str] = {}
        for p in policies or []:
            fields_.update({f"{p.priority}.{k}" if k != "priority" else k: v for k, v in _check_policy(
                p.priority, p.first_response_minutes, p.next_response_minutes, p.resolution_minutes).items()})
        if fields_:
            raise ValidationFailed("the team's targets were not saved", fields_)
        stored = {p.priority: {"first_response_minutes": p.first_response_minutes,
                               "next_response_minutes": p.next_response_minutes,
                               "resolution_minutes": p.resolution_minutes, "business_hours": p.business_hours}
                  for p in policies or []}
        self._save_team(team_id, "targets", stored or None, actor)
        self.refresh()
        return self.team_time(team_id)

    @writes
    def _save_team(self, team_id: int, column: str, value: Any, actor: Actor) -> None:
        with self.db.write() as tx:
            conn = tx.session.connection()
            if conn.execute(update(TEAMS).where(TEAMS.c.id == team_id).values({column: value})).rowcount == 0:
                raise NotFound(f"team {team_id} not found")
            audit(conn, self.now(), actor, f"team.{column}", team_id=team_id, **{column: value})
            tx.emit(TEAMS_CHANGED, None, team_id=team_id)

    def refresh(self) -> None:
        """Read the targets and hours again and move every running clock's deadlines to them."""
        with self._lock:
            self._rules = None
        self.reschedule_all()

    def reschedule_all(self, batch: int = 2000) -> int:
        """Recompute due times of every running clock (after a policy or calendar change)."""
        done, last_id = 0, 0
        while rows := self._reschedule_batch(last_id, batch):
            done += len(rows)
            last_id = rows[-1]
        return done

    @writes
    def _reschedule_batch(self, after_id: int, batch: int) -> list[int]:
        """One batch of running clocks after `after_id`; returns the conversation ids."""
        rules = self.rules()
        with self.db.write() as tx:
            conn = tx.session.connection()
            rows = conn.execute(select(C.c.id, C.c.priority, C.c.team_id, *[C.c[f.name] for f in fields(Clocks)])
                                .where(C.c.id > after_id, or_(C.c.response_resumed_at.is_not(None),
                                                              C.c.resolution_resumed_at.is_not(None)))
                                .order_by(C.c.id).limit(batch)).all()
            for row in rows:
                clocks = rules.schedule(Clocks.of(row), row.priority, row.team_id)
                conn.execute(update(C).where(C.c.id == row.id).values(**clocks.values()))
            if rows:
                tx.emit(CONVERSATION_UPDATED, None, sla=True)
        return [row.id for row in rows]

    # ---- the scan ---------------------------------------------------------------------------

    def scan(self, batch: int = 500) -> list[tuple[int, str, datetime]]:
        """Record every breach whose due time has passed (once each), stamped with its due time.
        Returns (conversation id, target, due time) of the breaches recorded now."""
        now = self.now()
        shop_time = self.rules().calendar.tz  # the thread says when it was due as the shop's clock did
        recorded: list[tuple[int, str, datetime]] = []
        for part in ("response", "resolution"):
            while True:
                found = self._scan_batch(part, now, batch, shop_time)
                recorded += found
                if len(found) < batch:
                    break
        return recorded

    @writes
    def _scan_batch(self, part: str, now: datetime, batch: int, shop_time: tzinfo) -> list[tuple[int, str, datetime]]:
        if part == "response":
            target: ColumnElement[Any] = C.c.response_target
            due_column, message_column = C.c.response_due_at, C.c.response_message_id
            missing = ~exists().where(and_(B.c.conversation_id == C.c.id, B.c.target == C.c.response_target,
                                           B.c.message_id == C.c.response_message_id))
        else:
            target, due_column, message_column = literal("resolution"), C.c.resolution_due_at, C.c.resolution_message_id
            missing = ~exists().where(and_(B.c.conversation_id == C.c.id, B.c.target == "resolution",
                                           B.c.message_id == C.c.resolution_message_id))
        with self.db.write() as tx:
            conn = tx.session.connection()
            rows = conn.execute(
                select(C.c.id, due_column.label("due_at"), message_column.label("message_id"), target.label("target"))
                # A due time exists only while a clock runs, i.e. while open: no status test
                # needed, and the due-time index alone serves the range.
                .where(due_column <= now, message_column.is_not(None), missing)
                .order_by(due_column).limit(batch)).all()
            for row in rows:
                self._record(tx, conn, row.id, row.target, row.message_id, row.due_at, now, shop_time)
        return [(row.id, row.target, row.due_at) for row in rows]

    def _record(self, tx: Any, conn: Connection, conversation_id: int, target: str, message_id: int,
                due_at: datetime, now: datetime, shop_time: tzinfo) -> None:
        conn.execute(insert(B).values(conversation_id=conversation_id, target=target, message_id=message_id,
                                      due_at=due_at, recorded_at=now))
        local = due_at.astimezone(shop_time)
        text = f"{TARGET_LABELS[target]} overdue: it was due {local:%a} {local.day} {local:%b %H:%M}"
        conn.execute(insert(M).values(conversation_id=conversation_id, direction=OUT, kind=EVENT, channel="system",
                                      body=text, meta={"event": "sla_breached", "target": target,
                                                       "due_at": due_at.isoformat()}, created_at=now))
        audit(conn, now, Actor.system(), "sla.breached", conversation_id, target=target, due_at=due_at.isoformat())
        enqueue(conn, "sla.breached", conversation_id, {"conversation_id": conversation_id, "target": target,
                                                        "due_at": due_at.isoformat(), "message_id": message_id}, now)
        tx.emit(SLA_BREACHED, conversation_id, target=target, due_at=due_at.isoformat())
        record_for_rules(tx, conn, "sla_breached", conversation_id, due_at, target=target)
        tx.emit(OUTBOX_ENQUEUED, conversation_id)

    def breaches(self, conversation_id: int) -> list[SlaBreach]:
        with self.db.read() as s:
            return list(s.execute(select(SlaBreach).where(col(SlaBreach.conversation_id) == conversation_id)
                                  .order_by(col(SlaBreach.id))).scalars().all())
