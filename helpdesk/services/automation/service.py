"""Rules as the team manages them (admins change them; everyone may read them): add, change,
order, turn on and off, delete, export and import as documented JSON, test one against the
last 100 conversations, read what each did. The work itself is the engine's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update

from helpdesk.events import RULES_CHANGED
from helpdesk.models import IN, REPLY, AppSetting, AutomationRule
from helpdesk.models.tables import (AUTOMATION_EVENTS as EVENT, AUTOMATION_RULES as RULE, AUTOMATION_RUNS as RUN,
                                   CONVERSATIONS as C, CUSTOMERS as K, MESSAGES as M)
from helpdesk.services.automation.conditions import holds
from helpdesk.services.automation.actions import Limits
from helpdesk.services.automation.engine import LIMITS_KEY, RuleEngine, limits_in
from helpdesk.services.automation.facts import Facts
from helpdesk.services.automation.ready_made import READY_MADE
from helpdesk.services.automation.spec import MAX_RULES, RuleSpec, check_rule, describe
from helpdesk.services.base import Actor, Service, audit, require_admin, writes
from helpdesk.services.conversations.common import STATE_COLUMNS
from helpdesk.services.errors import Conflict, NotFound, ValidationFailed
from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database

if TYPE_CHECKING:
    from helpdesk.services.conversations import ConversationService
    from helpdesk.services.help.articles import ArticleService
    from helpdesk.services.links import Links
    from helpdesk.services.promise import PromiseService

FORMAT = "helpdesk-rules"
VERSION = 1
SEEDED_KEY = "automation_seeded"


@dataclass(frozen=True)
class RunRecord:
    at: datetime
    conversation_id: int
    subject: str
    outcome: str
    detail: str


@dataclass(frozen=True)
class TestResult:
    conversation_id: int
    subject: str
    customer: str
    at: datetime
    matched: bool


def spec_of(rule: AutomationRule) -> RuleSpec:
    return RuleSpec(rule.name, rule.title, rule.trigger, rule.hours, (rule.conditions or {}).get("match", "all"),
                    list((rule.conditions or {}).get("items", [])), list(rule.actions or []), rule.enabled)


class AutomationService(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings, conversations: ConversationService,
                 promise: PromiseService, links: Links, articles: ArticleService) -> None:
        super().__init__(db, clock, settings)
        self.conversations = conversations
        self.engine = RuleEngine(db, clock, settings, conversations, promise, links, articles)

    # ---- the engine's work (the worker and the scheduler call these) --------------------------

    def process(self, limit: int = 200) -> int:
        return self.engine.process(limit)

    def process_all(self, limit: int = 200) -> int:
        """Every pending event (tests, the job's catch-up)."""
        total = 0
        while (handled := self.engine.process(limit)):
            total += handled
        return total

    def scan(self) -> int:
        return self.engine.scan()

    def forget_handled(self, days: int = 30) -> int:
        """Handled events older than `days`, dropped a batch at a time; returns how many."""
        total = 0
        while (gone := self.engine.forget_handled(days)):
            total += gone
        return total

    # ---- reading ----------------------------------------------------------------------------

    def rules(self) -> list[AutomationRule]:
        with self.db.read() as s:
            return list(s.execute(select(AutomationRule).order_by(RULE.c.position, RULE.c.id)).scalars())

    def get(self, name: str) -> AutomationRule:
        with self.db.read() as s:
            rule: AutomationRule | None = s.execute(select(AutomationRule).where(RULE.c.name == name)).scalar()
        if rule is None:
            raise NotFound(f"no rule called {name}" + self._names_hint())
        return rule

    def _names_hint(self) -> str:
        names = [r.name for r in self.rules()]
        return f" (there are: {', '.join(names)})" if names else ""

    @staticmethod
    def describe(rule: AutomationRule) -> str:
        return describe(spec_of(rule))

    def history(self, rule_id: int, limit: int = 50) -> list[RunRecord]:
        with self.db.read() as s:
            rows = s.execute(select(RUN.c.at, RUN.c.conversation_id, C.c.subject, RUN.c.outcome, RUN.c.detail)
                             .join(C, C.c.id == RUN.c.conversation_id, isouter=True)
                             .where(RUN.c.rule_id == rule_id).order_by(RUN.c.id.desc()).limit(limit)).all()
        return [RunRecord(r.at, r.conversation_id, r.subject or "", r.outcome, r.detail) for r in rows]

    def limits(self) -> Limits:
        with self.db.read() as s:
            return limits_in(s.connection())

    def pending_events(self) -> int:

        with self.db.read() as s:
            return int(s.execute(select(func.count()).select_from(EVENT)
                                 .where(EVENT.c.processed_at.is_(None))).scalar_one())

    def test(self, data: dict[str, Any] | None = None, name: str | None = None, last: int = 100) -> list[TestResult]:
        """Which of the last `last` conversations the rule's conditions would have matched, each at
        its latest customer message (a dry run: nothing is written, no action runs)."""
        spec = check_rule(data) if data is not None else spec_of(self.get(name or ""))
        conditions = {"match": spec.match, "items": spec.conditions}
        sla_rules = self.conversations.sla.rules()
        results = []
        with self.db.read() as s:
            conn = s.connection()
            states = conn.execute(select(*STATE_COLUMNS, C.c.last_customer_message_at, C.c.created_at, K.c.name)
                                  .join(K, K.c.id == C.c.customer_id).where(C.c.merged_into_id.is_(None))
                                  .order_by(C.c.id.desc()).limit(last)).all()
            for state in states:
                latest = conn.execute(select(M.c.id).where(M.c.conversation_id == state.id, M.c.direction == IN,
                                                           M.c.kind == REPLY).order_by(M.c.id.desc()).limit(1)).scalar()
                at = state.last_customer_message_at or state.created_at
                facts = Facts(conn, state, at, latest, {}, sla_rules)
                results.append(TestResult(state.id, state.subject or "", state.name or "", at, holds(conditions, facts)))
        return results

    # ---- changing ---------------------------------------------------------------------------

    def create(self, data: dict[str, Any], actor: Actor) -> AutomationRule:
        require_admin(actor, "add automation rules")
        return self._create(check_rule(data), actor)

    @writes
    def _create(self, spec: RuleSpec, actor: Actor) -> AutomationRule:
        with self.db.write() as tx:
            if tx.session.execute(select(func.count()).select_from(RULE)).scalar_one() >= MAX_RULES:
                raise Conflict(f"a shop may keep at most {MAX_RULES} rules")
            self._unique(tx.session, spec.name)
            last = tx.session.execute(select(func.max(RULE.c.position))).scalar() or 0
            rule = self._new(spec, last + 1)
            tx.session.add(rule)
            tx.session.flush()
            audit(tx.session, self.now(), actor, "rule.created", rule=spec.name, enabled=spec.enabled)
            tx.emit(RULES_CHANGED)
            return rule

    def _new(self, spec: RuleSpec, position: int, ready_made: bool = False) -> AutomationRule:
        now = self.now()
        return AutomationRule(name=spec.name, title=spec.title, enabled=spec.enabled, position=position,
                              trigger=spec.trigger, hours=spec.hours, ready_made=ready_made,
                              conditions={"match": spec.match, "items": spec.conditions}, actions=spec.actions,
                              state={}, created_at=now, updated_at=now)

    @staticmethod
    def _unique(session: Any, name: str, rule_id: int | None = None) -> None:
        clash = session.execute(select(RULE.c.id).where(RULE.c.name == name)).scalar()
        if clash is not None and clash != rule_id:
            raise Conflict(f"a rule called {name} already exists", {"name": "already in use"})

    def update(self, rule_id: int, data: dict[str, Any], actor: Actor) -> AutomationRule:
        require_admin(actor, "change automation rules")
        return self._update(rule_id, check_rule(data), actor)

    @writes
    def _update(self, rule_id: int, spec: RuleSpec, actor: Actor) -> AutomationRule:
        with self.db.write() as tx:
            rule = tx.session.get(AutomationRule, rule_id)
            if rule is None:
                raise NotFound(f"rule {rule_id} not found")
            self._unique(tx.session, spec.name, rule_id)
            self._apply(rule, spec)
            tx.session.add(rule)
            audit(tx.session, self.now(), actor, "rule.updated", rule=spec.name, enabled=spec.enabled)
            tx.emit(RULES_CHANGED)
            return rule

    def _apply(self, rule: AutomationRule, spec: RuleSpec) -> None:
        rule.name, rule.title, rule.enabled, rule.trigger, rule.hours = (spec.name, spec.title, spec.enabled,
                                                                          spec.trigger, spec.hours)
        rule.conditions = {"match": spec.match, "items": spec.conditions}
        rule.actions = spec.actions
        rule.last_error = ""  # judged afresh
        rule.updated_at = self.now()

    def set_enabled(self, name: str, enabled: bool, actor: Actor) -> AutomationRule:
        require_admin(actor, "turn automation rules on or off")
        return self._set_enabled(name, enabled, actor)

    @writes
    def _set_enabled(self, name: str, enabled: bool, actor: Actor) -> AutomationRule:
        with self.db.write() as tx:
            rule: AutomationRule | None = tx.session.execute(
                select(AutomationRule).where(RULE.c.name == name)).scalar()
            if rule is None:
                raise NotFound(f"no rule called {name}" + self._names_hint())
            if rule.enabled != enabled:
                rule.enabled, rule.updated_at = enabled, self.now()
                tx.session.add(rule)
                audit(tx.session, self.now(), actor, "rule.enabled" if enabled else "rule.disabled", rule=name)
                tx.emit(RULES_CHANGED)
            return rule

    def move(self, rule_id: int, step: int, actor: Actor) -> None:
        """One place earlier (step -1) or later (+1) in the order rules run in."""
        require_admin(actor, "reorder automation rules")
        self._move(rule_id, step, actor)

    @writes
    def _move(self, rule_id: int, step: int, actor: Actor) -> None:
        with self.db.write() as tx:
            ids = list(tx.session.execute(select(RULE.c.id).order_by(RULE.c.position, RULE.c.id)).scalars())
            if rule_id not in ids:
                raise NotFound(f"rule {rule_id} not found")
            i = ids.index(rule_id)
            j = max(0, min(len(ids) - 1, i + step))
            ids.insert(j, ids.pop(i))
            for position, rid in enumerate(ids, start=1):
                tx.session.execute(update(RULE).where(RULE.c.id == rid).values(position=position))
            audit(tx.session, self.now(), actor, "rule.moved", rule_id=rule_id, position=j + 1)
            tx.emit(RULES_CHANGED)

    def delete(self, rule_id: int, actor: Actor) -> None:
        require_admin(actor, "delete automation rules")
        self._delete(rule_id, actor)

    @writes
    def _delete(self, rule_id: int, actor: Actor) -> None:
        with self.db.write() as tx:
            rule = tx.session.get(AutomationRule, rule_id)
            if rule is None:
                raise NotFound(f"rule {rule_id} not found")
            tx.session.execute(delete(RUN).where(RUN.c.rule_id == rule_id))
            tx.session.delete(rule)
            audit(tx.session, self.now(), actor, "rule.deleted", rule=rule.name)
            tx.emit(RULES_CHANGED)

    def set_limits(self, reply_window_hours: float, customer_per_day: int, actor: Actor) -> None:
        """At most one automatic reply per conversation in `reply_window_hours`, and `customer_per_day`
        to one customer in 24 hours."""
        require_admin(actor, "change automation limits")
        fields: dict[str, str] = {}
        if isinstance(reply_window_hours, bool) or not isinstance(reply_window_hours, (int, float)) \
                or not 1 <= reply_window_hours <= 24 * 30:
            fields["reply_window_hours"] = "must be 1 to 720 hours"
        if isinstance(customer_per_day, bool) or not isinstance(customer_per_day, int) or not 1 <= customer_per_day <= 50:
            fields["customer_per_day"] = "must be 1 to 50"
        if fields:
            raise ValidationFailed("the limits were not saved", fields)
        self._save_limits(float(reply_window_hours), customer_per_day, actor)

    @writes
    def _save_limits(self, window: float, per_day: int, actor: Actor) -> None:
        with self.db.write() as tx:
            setting = tx.session.get(AppSetting, LIMITS_KEY) or AppSetting(key=LIMITS_KEY, value={})
            setting.value = {"reply_window_hours": window, "customer_per_day": per_day}
            tx.session.add(setting)
            audit(tx.session, self.now(), actor, "rule.limits", reply_window_hours=window, customer_per_day=per_day)

    # ---- export, import and the ready-made rules -------------------------------------------

    def export(self) -> dict[str, Any]:
        """Every rule, in order, as the documented JSON (docs/automation.md)."""
        return {"format": FORMAT, "version": VERSION, "rules": [spec_of(r).as_json() for r in self.rules()]}

    @staticmethod
    def export_one(rule: AutomationRule) -> dict[str, Any]:
        return spec_of(rule).as_json()

    def import_rules(self, data: Any, actor: Actor) -> tuple[int, int]:
        """Rules from an export: a rule with a known name is replaced, others are added after the
        existing ones, in the file's order. All or nothing. Returns (added, replaced)."""
        require_admin(actor, "import automation rules")
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("rules"), list):
            raise ValidationFailed("not a Helpdesk rules file",
                                   {"format": f"expected {{\"format\": \"{FORMAT}\", \"rules\": [...]}}"})
        if data.get("version", VERSION) > VERSION:
            raise ValidationFailed("the rules file is from a newer Helpdesk",
                                   {"version": f"this Helpdesk reads version {VERSION}"})
        problems: dict[str, str] = {}
        specs: list[RuleSpec] = []
        for i, item in enumerate(data["rules"][:MAX_RULES + 1]):
            try:
                specs.append(check_rule(item, f"rules[{i}]."))
            except ValidationFailed as exc:
                problems.update(exc.fields)
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            problems["rules"] = "two rules have the same name"
        if problems:
            raise ValidationFailed("the rules were not imported", problems)
        return self._import(specs, actor)

    @writes
    def _import(self, specs: list[RuleSpec], actor: Actor) -> tuple[int, int]:
        added = replaced = 0
        with self.db.write() as tx:
            existing = {r.name: r for r in tx.session.execute(select(AutomationRule)).scalars()}
            if len(set(existing) | {s.name for s in specs}) > MAX_RULES:
                raise Conflict(f"a shop may keep at most {MAX_RULES} rules")
            position = tx.session.execute(select(func.max(RULE.c.position))).scalar() or 0
            for spec in specs:
                if spec.name in existing:
                    self._apply(existing[spec.name], spec)
                    tx.session.add(existing[spec.name])
                    replaced += 1
                else:
                    position += 1
                    tx.session.add(self._new(spec, position))
                    added += 1
            audit(tx.session, self.now(), actor, "rule.imported", added=added, replaced=replaced)
            tx.emit(RULES_CHANGED)
        return added, replaced

    @writes
    def offer_ready_made(self) -> int:
        """On the first start: the four ready-made rules, off. Never again (one that was deleted stays deleted)."""
        with self.db.write() as tx:
            if tx.session.get(AppSetting, SEEDED_KEY) is not None:
                return 0
            taken = set(tx.session.execute(select(RULE.c.name)).scalars())
            position = tx.session.execute(select(func.max(RULE.c.position))).scalar() or 0
            made = 0
            for data in READY_MADE:
                if data["name"] in taken:
                    continue
                position += 1
                tx.session.add(self._new(check_rule(data), position, ready_made=True))
                made += 1
            tx.session.add(AppSetting(key=SEEDED_KEY, value={"at": self.now().isoformat()}))
            return made
