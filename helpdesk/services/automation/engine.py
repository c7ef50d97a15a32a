"""The rules at work: one pass on the writer thread takes the pending events in order and runs
every enabled rule of each event's trigger whose conditions hold, each at most once per event
(a unique run row), each in its own savepoint (a rule that fails is rolled back alone and shown
failing; the events after it go on). The time scan turns waits and risks into events with keys
of their own, so a wait is one event however often the scan sees it, and a PC that was off
catches up at start."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from helpdesk.models import OPEN, PENDING, AppSetting, AutomationEvent, AutomationRule, AutomationRun, Conversation
from helpdesk.services.automation.actions import Actions, Limits
from helpdesk.services.automation.conditions import holds
from helpdesk.services.automation.facts import Facts
from helpdesk.services.automation.record import record
from helpdesk.services.automation.spec import TIMED, WAITED
from helpdesk.services.base import Actor, Service, writes
from helpdesk.services.conversations.common import STATE_COLUMNS, insert_event

log = logging.getLogger(__name__)
EVENT = AutomationEvent.__table__  # type: ignore[attr-defined]
RULE = AutomationRule.__table__  # type: ignore[attr-defined]
RUN = AutomationRun.__table__  # type: ignore[attr-defined]
C = Conversation.__table__  # type: ignore[attr-defined]
LIMITS_KEY = "automation"
MAX_CHAIN = 4  # a rule's action may set off other rules, and theirs others, this deep at most
RULE_RAN = "automation.ran"


def limits_in(conn: Connection) -> Limits:
    value = conn.execute(select(AppSetting.value).where(AppSetting.key == LIMITS_KEY)).scalar() or {}  # type: ignore[arg-type]
    return Limits(float(value.get("reply_window_hours", 24)), int(value.get("customer_per_day", 3)))


class RuleEngine(Service):
    def __init__(self, db, clock, settings, conversations, promise, links) -> None:  # type: ignore[no-untyped-def]
        super().__init__(db, clock, settings)
        self.conversations = conversations
        self.actions = Actions(conversations, promise, links)

    # ---- the pass over pending events -------------------------------------------------------

    @writes
    def process(self, limit: int = 200) -> int:
        """Handle up to `limit` pending events, oldest first; returns how many were handled."""
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            pending = conn.execute(select(EVENT).where(EVENT.c.processed_at.is_(None))
                                   .order_by(EVENT.c.id).limit(limit)).all()
            if not pending:
                return 0
            rules = [r for r in tx.session.execute(select(AutomationRule).where(
                AutomationRule.enabled.is_(True)).order_by(AutomationRule.position, AutomationRule.id)).scalars()]  # type: ignore[attr-defined]
            if rules:
                limits = limits_in(conn)
                calendar = self.conversations.sla.rules().calendar
                for event in pending:
                    applicable = [r for r in rules if _applies(r, event)]
                    if applicable:
                        self._event(tx, conn, event, applicable, limits, calendar, now)
            conn.execute(update(EVENT).where(EVENT.c.id.in_([e.id for e in pending])).values(processed_at=now))
            return len(pending)

    def _event(self, tx: Any, conn: Connection, event: Any, rules: list[AutomationRule], limits: Limits,
               calendar: Any, now: datetime) -> None:
        state = conn.execute(select(*STATE_COLUMNS).where(C.c.id == event.conversation_id)).first()
        if state is None:
            return
        chain = tuple(event.data.get("via_rules") or ())
        facts = Facts(conn, state, event.at, event.message_id, event.data, calendar)
        for rule in rules:
            try:
                if not holds(rule.conditions, facts):
                    continue
            except Exception as exc:  # a condition that cannot be read (a broken import): shown, not fatal
                self._ran(tx, conn, rule, event, state, now, "failed", f"its conditions failed: {exc}", None, [])
                continue
            actor = Actor.rule(rule.id, rule.title, chain)
            emitted = len(tx.events)
            savepoint = tx.session.begin_nested()
            try:
                done = self.actions.run(tx, conn, rule, event, facts, actor, now, limits)
                tx.session.add(rule)  # round-robin's place
                tx.session.flush()
                savepoint.commit()
            except Exception as exc:
                savepoint.rollback()
                del tx.events[emitted:]
                log.warning("automation rule %s failed on conversation %s: %s", rule.name, state.id, exc)
                self._ran(tx, conn, rule, event, state, now, "failed", _words(exc), None, [])
                facts.refresh(conn.execute(select(*STATE_COLUMNS).where(C.c.id == state.id)).first())
                continue
            outcome = "done" if done.history else "skipped"
            detail = "; ".join(done.history + done.skipped)
            self._ran(tx, conn, rule, event, state, now, outcome, detail, now if done.replied else None,
                      done.said + done.skipped, actor)
            facts.refresh(conn.execute(select(*STATE_COLUMNS).where(C.c.id == state.id)).first())

    def _ran(self, tx: Any, conn: Connection, rule: AutomationRule, event: Any, state: Any, now: datetime,
             outcome: str, detail: str, replied_at: datetime | None, thread_words: list[str],
             actor: Actor | None = None) -> None:
        """The rule's history row, its figures, and (when it has something to say) a line in the thread."""
        detail = detail[:500]
        conn.execute(insert(RUN).values(rule_id=rule.id, event_id=event.id, conversation_id=state.id,
                                        customer_id=state.customer_id, at=now, outcome=outcome, detail=detail,
                                        replied_at=replied_at))
        values: dict[str, Any] = {"runs": RULE.c.runs + 1, "last_run_at": now, "last_outcome": outcome,
                                  "last_detail": detail}
        if outcome == "failed":
            values.update(last_error=detail, last_error_at=now)
        elif rule.last_error:
            values["last_error"] = ""  # it works again
        conn.execute(update(RULE).where(RULE.c.id == rule.id).values(**values))
        text = f"Rule '{rule.title}' failed: {detail}" if outcome == "failed" else \
            f"Rule '{rule.title}' " + "; ".join(thread_words) if thread_words else ""
        if text:
            insert_event(conn, state.id, now, text, actor or Actor.rule(rule.id, rule.title), event="rule",
                         rule=rule.name, outcome=outcome)
        tx.emit(RULE_RAN, state.id, rule=rule.name, outcome=outcome)

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


def _applies(rule: AutomationRule, event: Any) -> bool:
    if rule.trigger != event.type or rule.id in (event.data.get("via_rules") or ()):
        return False  # a rule's own actions never set the same rule off again
    if len(event.data.get("via_rules") or ()) >= MAX_CHAIN:
        return False
    return rule.trigger not in WAITED or float(event.data.get("hours") or -1) == float(rule.hours or 0)


def _words(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc) or exc.__class__.__name__
    return message[0].upper() + message[1:] if message else "it failed"
