"""The rules at work: one pass on the writer thread takes the pending events in order and runs
every enabled rule of each event's trigger whose conditions hold, each at most once per event
(a unique run row), each in its own savepoint (a rule that fails is rolled back alone and shown
failing; the events after it go on). The time scan turns waits and risks into events with keys
of their own, so a wait is one event however often the scan sees it, and a PC that was off
catches up at start."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection

from helpdesk.models import OPEN, PENDING
from helpdesk.models.tables import (APP_SETTINGS, AUTOMATION_EVENTS as EVENT, AUTOMATION_RULES as RULE,
                                   AUTOMATION_RUNS as RUN, CONVERSATIONS as C)
from helpdesk.services.automation.actions import Actions, Limits
from helpdesk.services.automation.conditions import holds
from helpdesk.services.automation.facts import Facts
from helpdesk.services.automation.record import record
from helpdesk.services.automation.spec import TIMED, WAITED
from helpdesk.services.base import Actor, Service, writes
from helpdesk.services.conversations.common import STATE_COLUMNS
from helpdesk.services.thread_events import insert_event
from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database

if TYPE_CHECKING:
    from helpdesk.services.conversations import ConversationService
    from helpdesk.services.help.articles import ArticleService
    from helpdesk.services.links import Links
    from helpdesk.services.promise import PromiseService

log = logging.getLogger(__name__)
LIMITS_KEY = "automation"
MAX_CHAIN = 4  # a rule's action may set off other rules, and theirs others, this deep at most


def limits_in(conn: Connection) -> Limits:
    value = conn.execute(select(APP_SETTINGS.c.value).where(APP_SETTINGS.c.key == LIMITS_KEY)).scalar() or {}
    return Limits(float(value.get("reply_window_hours", 24)), int(value.get("customer_per_day", 3)))


@dataclass
class LiveRule:
    """An enabled rule as one pass uses it; what it did is written back once at the pass's end."""

    id: int
    name: str
    title: str
    trigger: str
    hours: float | None
    conditions: dict[str, Any]
    actions: list[Any]
    state: dict[str, Any]
    last_error: str
    count: int = 0  # runs in this pass
    figures: dict[str, Any] = field(default_factory=dict)  # columns to write back

    @classmethod
    def of(cls, row: Any) -> "LiveRule":
        return cls(row.id, row.name, row.title, row.trigger, row.hours, row.conditions or {}, row.actions or [],
                   dict(row.state or {}), row.last_error or "")


_ENABLED = select(RULE).where(RULE.c.enabled.is_(True)).order_by(RULE.c.position, RULE.c.id)
_PENDING = select(EVENT).where(EVENT.c.processed_at.is_(None)).order_by(EVENT.c.id).limit(bindparam("b_limit"))
_STATE = select(*STATE_COLUMNS).where(C.c.id == bindparam("b_id"))
_INSERT_RUN = insert(RUN)


class RuleEngine(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings, conversations: ConversationService,
                 promise: PromiseService, links: Links, articles: ArticleService) -> None:
        super().__init__(db, clock, settings)
        self.conversations = conversations
        self.actions = Actions(conversations, promise, links, articles)

    # ---- the pass over pending events -------------------------------------------------------

    @writes
    def process(self, limit: int = 200) -> int:
        """Handle up to `limit` pending events, oldest first, in one transaction; returns how many."""
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            pending = conn.execute(_PENDING, {"b_limit": limit}).all()
            if not pending:
                return 0
            rules = [LiveRule.of(r) for r in conn.execute(_ENABLED)]
            by_type: dict[str, list[LiveRule]] = {}
            for rule in rules:  # a first customer message is also "a conversation is created"
                by_type.setdefault("customer_message" if rule.trigger == "conversation_created" else rule.trigger,
                                   []).append(rule)
            if rules:
                limits = limits_in(conn)
                sla_rules = self.conversations.sla.rules()
                runs: list[dict[str, Any]] = []
                self.actions.begin_pass()
                for event in pending:
                    applicable = [r for r in by_type.get(event.type, ()) if _applies(r, event)]
                    if applicable:
                        self._event(tx, conn, event, applicable, limits, sla_rules, now, runs)
                if runs:
                    conn.execute(_INSERT_RUN, runs)
                for rule in rules:
                    if rule.figures:
                        conn.execute(update(RULE).where(RULE.c.id == rule.id).values(
                            runs=RULE.c.runs + rule.count, **rule.figures))
            conn.execute(update(EVENT).where(EVENT.c.id.in_([e.id for e in pending])).values(processed_at=now))
            return len(pending)

    def _event(self, tx: Any, conn: Connection, event: Any, rules: list[LiveRule], limits: Limits,
               sla_rules: Any, now: datetime, runs: list[dict[str, Any]]) -> None:
        state = conn.execute(_STATE, {"b_id": event.conversation_id}).first()
        if state is None:
            return
        chain = tuple(event.data.get("via_rules") or ())
        facts = Facts(conn, state, event.at, event.message_id, event.data, sla_rules)
        for rule in rules:
            try:
                if not holds(rule.conditions, facts):
                    continue
            except Exception as exc:  # a condition that cannot be read (a broken import): shown, not fatal
                self._ran(conn, rule, event, facts.state, now, "failed", f"its conditions failed: {exc}", None, [],
                          runs)
                continue
            actor = Actor.rule(rule.id, rule.title, chain)
            emitted, kept_state = len(tx.events), dict(rule.state)
            savepoint = conn.begin_nested()
            try:
                done = self.actions.run(tx, conn, rule, event, facts, actor, now, limits)
                savepoint.commit()
            except Exception as exc:
                savepoint.rollback()
                del tx.events[emitted:]
                rule.state = kept_state
                log.warning("automation rule %s failed on conversation %s: %s", rule.name, state.id, exc)
                self._ran(conn, rule, event, facts.state, now, "failed", _words(exc), None, [], runs)
                facts.refresh(conn.execute(_STATE, {"b_id": state.id}).first(), tags_too=True)
                continue
            if rule.state != kept_state:
                rule.figures["state"] = rule.state
            detail = "; ".join(done.history + done.skipped)
            self._ran(conn, rule, event, facts.state, now, "done" if done.history else "skipped", detail,
                      now if done.replied else None, done.said + done.skipped, runs, actor)
            if done.moved:  # the next rule sees what this one did (tags are kept up to date in facts)
                facts.refresh(conn.execute(_STATE, {"b_id": state.id}).first())

    @staticmethod
    def _ran(conn: Connection, rule: LiveRule, event: Any, state: Any, now: datetime, outcome: str, detail: str,
             replied_at: datetime | None, thread_words: list[str], runs: list[dict[str, Any]],
             actor: Actor | None = None) -> None:
        """The rule's history row and figures (written at the pass's end), and, when it has something
        to say, a line in the thread."""
        detail = detail[:500]
        runs.append({"rule_id": rule.id, "event_id": event.id, "conversation_id": state.id,
                     "customer_id": state.customer_id, "at": now, "outcome": outcome, "detail": detail,
                     "replied_at": replied_at})
        rule.count += 1
        figures = rule.figures
        figures.update(last_run_at=now, last_outcome=outcome, last_detail=detail)
        if outcome == "failed":
            figures.update(last_error=detail, last_error_at=now)
        elif rule.last_error or figures.get("last_error"):
            figures["last_error"] = ""  # it works again
        text = f"Rule '{rule.title}' failed: {detail}" if outcome == "failed" else \
            f"Rule '{rule.title}' " + "; ".join(thread_words) if thread_words else ""
        if text:
            insert_event(conn, state.id, now, text, actor or Actor.rule(rule.id, rule.title), event="rule",
                         rule=rule.name, outcome=outcome)

    @writes
    def forget_handled(self, days: int = 30, batch: int = 5000) -> int:
        """Drop handled events older than `days` (the rules' history keeps what they did). The time
        scan's events stay: their keys are what makes each wait happen once."""
        cutoff = self.now() - timedelta(days=days)
        with self.db.write() as tx:
            conn = tx.session.connection()
            old = select(EVENT.c.id).where(EVENT.c.processed_at < cutoff, EVENT.c.type.not_in(TIMED)).limit(batch)
            return conn.execute(delete(EVENT).where(EVENT.c.id.in_(old.scalar_subquery()))).rowcount or 0

    # ---- the time scan -------------------------------------------------------------------------

    @writes
    def scan(self, batch: int = 1000) -> int:
        """Events for waits and risks that have come due since the last scan (or while the PC was
        off): one per conversation and wait, however often it is seen. Returns how many are new."""
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            timed = conn.execute(select(RULE.c.trigger, RULE.c.hours).where(
                RULE.c.enabled.is_(True), RULE.c.trigger.in_(TIMED))).all()
            found: list[dict[str, Any]] = []
            for trigger, hours in {(t, h) for t, h in timed}:
                if trigger in WAITED:
                    found += self._waits(conn, trigger, hours, now, batch)
                else:
                    found += self._risks(conn, now, batch)
            if not found:
                return 0
            known = set(conn.execute(select(EVENT.c.key).where(EVENT.c.key.in_([f["key"] for f in found]))).scalars())
            new = [f for f in found if f["key"] not in known]
            for f in {f["key"]: f for f in new}.values():
                record(tx, conn, f.pop("type"), f.pop("conversation_id"), f.pop("at"), key=f.pop("key"), **f)
            return len(new)

    @staticmethod
    def _waits(conn: Connection, trigger: str, hours: float, now: datetime, batch: int) -> list[dict[str, Any]]:
        # On the customer: pending since the team last wrote. On the team: open since the oldest unanswered message.
        status, column = (PENDING, C.c.last_message_at) if trigger == "waited_on_customer" else (OPEN, C.c.waiting_since)
        since = now - timedelta(hours=hours)
        rows = conn.execute(select(C.c.id, column.label("since")).where(C.c.status == status, column <= since)
                            .order_by(column).limit(batch)).all()
        return [{"type": trigger, "conversation_id": r.id, "at": r.since + timedelta(hours=hours), "hours": hours,
                 "key": f"{trigger}:{r.id}:{r.since.isoformat()}:{hours:g}"} for r in rows]

    @staticmethod
    def _risks(conn: Connection, now: datetime, batch: int) -> list[dict[str, Any]]:
        found = []
        for part, target_column in (("response", C.c.response_target), ("resolution", None)):
            risk, due, message = C.c[f"{part}_risk_at"], C.c[f"{part}_due_at"], C.c[f"{part}_message_id"]
            columns = [C.c.id, risk.label("risk_at"), message.label("message_id")]
            if target_column is not None:
                columns.append(target_column.label("target"))
            rows = conn.execute(select(*columns).where(C.c.status == OPEN, risk <= now, due > now)
                                .order_by(risk).limit(batch)).all()
            for r in rows:
                target = getattr(r, "target", None) or "resolution"
                found.append({"type": "sla_at_risk", "conversation_id": r.id, "at": r.risk_at, "target": target,
                              "key": f"sla_at_risk:{r.id}:{target}:{r.message_id}"})
        return found


def _applies(rule: LiveRule, event: Any) -> bool:
    via = event.data.get("via_rules") or ()
    if rule.id in via or len(via) >= MAX_CHAIN:
        return False  # a rule's own actions never set the same rule off again
    if rule.trigger == "conversation_created":
        return bool(event.data.get("first"))
    return rule.trigger not in WAITED or float(event.data.get("hours") or -1) == float(rule.hours or 0)


def _words(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc) or exc.__class__.__name__
    return message[0].upper() + message[1:] if message else "it failed"
