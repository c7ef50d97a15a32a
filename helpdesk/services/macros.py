"""Macros: the replies a shop gives every day, with what goes with them, in one click. A macro
is a named list of actions (a reply, written or a canned reply's, with its variables filled; a
note; tags; priority; team; assignee; status; snooze), shared with the team (admins keep those)
or one agent's own. Running one does all of it in one transaction, and the thread says so
first: "Macro 'Bike ready for pick-up' by Ann"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy import delete, insert, or_, select, update

from helpdesk import events
from helpdesk.models import OPEN, PENDING, PRIORITIES, RESOLVED, SNOOZED, Macro
from helpdesk.models.tables import AGENTS, CANNED_REPLIES, MACROS
from helpdesk.services.base import ADMIN, TEAM, UNSET, Actor, Service, audit, new_id, require_role, require_scope, writes
from helpdesk.services.conversations.common import load_state
from helpdesk.services.conversations.status import AGENT as AGENT_CAUSE
from helpdesk.services.conversations.status import change_status
from helpdesk.services.conversations.triage import clean_tags
from helpdesk.services.errors import Forbidden, NotFound, ValidationFailed
from helpdesk.services.thread_events import insert_event

if TYPE_CHECKING:  # for annotations only: the container wires these services together
    from helpdesk.clock import Clock
    from helpdesk.config import Settings
    from helpdesk.db import Database
    from helpdesk.services.canned import CannedReplyService
    from helpdesk.services.conversations import ConversationService
    from helpdesk.services.teams import TeamService

ACTIONS = {  # each kind of action: what it takes
    "reply": "body, or canned: a canned reply's title (variables filled)",
    "note": "body",
    "add_tags": "tags",
    "priority": "value: urgent, high, normal or low",
    "team": "team: a team's name, or null for none",
    "assign": "to: an agent's email, me, or null to unassign",
    "status": "value: open, pending or resolved (with a reply: how it leaves it)",
    "snooze": "hours: 1 to 2160",
}
MAX_ACTIONS = 12
MAX_MACROS = 500


@dataclass(frozen=True)
class MacroRun:
    conversation_id: int
    did: list[str]  # in words, for the toast and the API
    message_id: int | None = None  # the reply's or the note's


def check_actions(raw: Any) -> list[dict[str, Any]]:
    """The actions as stored, or ValidationFailed naming each problem (`actions[2].value`)."""
    fields: dict[str, str] = {}
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_ACTIONS:
        raise ValidationFailed("the macro was not saved", {"actions": f"must be a list of 1 to {MAX_ACTIONS} actions"})
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        at = f"actions[{i}]"
        kind = str(item.get("type")) if isinstance(item, dict) else ""
        if kind not in ACTIONS:
            fields[f"{at}.type"] = "must be one of " + ", ".join(ACTIONS)
            continue
        if kind in seen:
            fields[f"{at}.type"] = f"a macro does {kind} once"
            continue
        seen.add(kind)
        clean = _check_one(kind, item, at, fields)
        if clean is not None:
            out.append(clean)
    if "snooze" in seen and "status" in seen:
        fields["actions"] = "a macro snoozes or sets a status, not both"
    if fields:
        raise ValidationFailed("the macro was not saved", fields)
    return out


def _check_one(kind: str, item: dict[str, Any], at: str, fields: dict[str, str]) -> dict[str, Any] | None:
    if kind in ("reply", "note"):
        body, canned = str(item.get("body") or "").strip(), str(item.get("canned") or "").strip()
        if kind == "reply" and canned:
            return {"type": kind, "canned": canned[:100]}
        if not body or len(body) > 20_000:
            fields[f"{at}.body"] = "must be 1 to 20000 characters" + (" (or name a canned reply)" if kind == "reply" else "")
            return None
        return {"type": kind, "body": body}
    if kind == "add_tags":
        try:
            tags = clean_tags([str(t) for t in item.get("tags") or []])
        except ValidationFailed as exc:
            fields[f"{at}.tags"] = next(iter(exc.fields.values()))
            return None
        if not tags:
            fields[f"{at}.tags"] = "name at least one tag"
            return None
        return {"type": kind, "tags": tags}
    if kind == "priority":
        if item.get("value") not in PRIORITIES:
            fields[f"{at}.value"] = "must be urgent, high, normal or low"
            return None
        return {"type": kind, "value": item["value"]}
    if kind == "status":
        if item.get("value") not in (OPEN, PENDING, RESOLVED):
            fields[f"{at}.value"] = "must be open, pending or resolved (snooze is its own action)"
            return None
        return {"type": kind, "value": item["value"]}
    if kind == "snooze":
        hours = item.get("hours")
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 1 <= hours <= 2160:
            fields[f"{at}.hours"] = "must be a number of hours from 1 to 2160"
            return None
        return {"type": kind, "hours": hours}
    if kind == "team":
        team = item.get("team")
        return {"type": kind, "team": " ".join(str(team).split())[:60] if team else None}
    to = item.get("to")  # assign
    return {"type": kind, "to": str(to).strip().lower()[:254] if to else None}


def describe(actions: list[dict[str, Any]]) -> str:
    """One line of what a macro does, for lists and the palette."""
    words: dict[str, Callable[[dict[str, Any]], str]] = {"reply": lambda a: f"reply “{a['canned']}”" if a.get("canned") else "reply",
             "note": lambda a: "note", "add_tags": lambda a: "tag " + ", ".join(a["tags"]),
             "priority": lambda a: f"priority {a['value']}", "team": lambda a: f"to {a['team'] or 'no team'}",
             "assign": lambda a: f"assign to {a['to'] or 'nobody'}", "status": lambda a: f"set {a['value']}",
             "snooze": lambda a: f"snooze {a['hours']:g} h"}
    return ", ".join(words[a["type"]](a) for a in actions)


class MacroService(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings, conversations: ConversationService,
                 canned: CannedReplyService, teams: TeamService) -> None:
        super().__init__(db, clock, settings)
        self.conversations = conversations
        self.canned = canned
        self.teams = teams

    # ---- reading ----------------------------------------------------------------------------------

    def visible_to(self, actor: Actor | None) -> list[Macro]:
        """The shared macros and, for an agent, their own; by name."""
        agent_id = actor.agent_id if actor is not None else None
        with self.db.read() as s:
            mine = MACROS.c.owner_id.is_(None) if agent_id is None else \
                or_(MACROS.c.owner_id.is_(None), MACROS.c.owner_id == agent_id)
            return list(s.execute(select(Macro).where(mine).order_by(MACROS.c.name)).scalars())

    def get(self, macro_id: int, actor: Actor | None) -> Macro:
        found = next((m for m in self.visible_to(actor) if m.id == macro_id), None)
        if found is None:  # another agent's own macro answers as one that is not there
            raise NotFound(f"macro {macro_id} not found")
        return found

    # ---- keeping them -----------------------------------------------------------------------------

    def create(self, name: str, actions: Any, actor: Actor, shared: bool = True) -> Macro:
        """A shared macro (admins), or the agent's own (`shared=False`)."""
        self._may_keep(actor, shared)
        clean_name, clean = self._check(name, actions, actor, None, shared)
        return self._insert(clean_name, clean, None if shared else actor.agent_id, actor)

    def change(self, macro_id: int, actor: Actor, name: str, actions: Any) -> Macro:
        macro = self.get(macro_id, actor)
        self._may_keep(actor, macro.owner_id is None)
        clean_name, clean = self._check(name, actions, actor, macro_id, macro.owner_id is None)
        return self._update(macro_id, clean_name, clean, actor)

    def delete(self, macro_id: int, actor: Actor) -> Macro:
        macro = self.get(macro_id, actor)
        self._may_keep(actor, macro.owner_id is None)
        self._delete(macro, actor)
        return macro

    @staticmethod
    def _may_keep(actor: Actor, shared: bool) -> None:
        if shared:
            require_role(actor, ADMIN, doing="keep the team's macros")
        elif actor.agent_id is None:
            raise Forbidden("only an agent keeps macros of their own")

    def _check(self, name: str, actions: Any, actor: Actor, macro_id: int | None,
               shared: bool) -> tuple[str, list[dict[str, Any]]]:
        fields: dict[str, str] = {}
        clean_name = " ".join(str(name or "").split())
        if not 0 < len(clean_name) <= 80:
            fields["name"] = "must be 1 to 80 characters"
        elif any(m.name.lower() == clean_name.lower() and m.id != macro_id and (m.owner_id is None) == shared
                 for m in self.visible_to(actor)):
            fields["name"] = f"a macro called {clean_name} exists already"
        try:
            clean = check_actions(actions)
        except ValidationFailed as exc:
            fields.update(exc.fields)
            clean = []
        if fields:
            raise ValidationFailed("the macro was not saved", fields)
        return clean_name, clean

    @writes
    def _insert(self, name: str, actions: list[dict[str, Any]], owner_id: int | None, actor: Actor) -> Macro:
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            if len(conn.execute(select(MACROS.c.id)).all()) >= MAX_MACROS:
                raise ValidationFailed("the macro was not saved", {"name": f"a shop keeps at most {MAX_MACROS} macros"})
            macro_id = new_id(conn.execute(insert(MACROS).values(name=name, actions=actions, owner_id=owner_id,
                                                                 created_at=now, updated_at=now)))
            audit(conn, now, actor, "macro.created", macro=name, shared=owner_id is None)
            tx.emit(events.MACROS_CHANGED, None, owner_id=owner_id)
        return Macro(id=macro_id, name=name, actions=actions, owner_id=owner_id, created_at=now, updated_at=now)

    @writes
    def _update(self, macro_id: int, name: str, actions: list[dict[str, Any]], actor: Actor) -> Macro:
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            conn.execute(update(MACROS).where(MACROS.c.id == macro_id).values(name=name, actions=actions, updated_at=now))
            audit(conn, now, actor, "macro.changed", macro=name)
            tx.emit(events.MACROS_CHANGED, None, owner_id=conn.execute(
                select(MACROS.c.owner_id).where(MACROS.c.id == macro_id)).scalar())
        return self.get(macro_id, actor)

    @writes
    def _delete(self, macro: Macro, actor: Actor) -> None:
        with self.db.write() as tx:
            conn = tx.session.connection()
            conn.execute(delete(MACROS).where(MACROS.c.id == macro.id))
            audit(conn, self.now(), actor, "macro.deleted", macro=macro.name)
            tx.emit(events.MACROS_CHANGED, None, owner_id=macro.owner_id)

    # ---- running one ------------------------------------------------------------------------------

    def run(self, macro_id: int, conversation_id: int, actor: Actor) -> MacroRun:
        """Everything the macro says, in one transaction, or nothing (a refusal names the action)."""
        require_role(actor, *TEAM, doing="run a macro")
        require_scope(actor, "reply", "run a macro")
        macro = self.get(macro_id, actor)
        self.conversations.get_row(conversation_id)  # NotFound before anything is prepared
        plan: dict[str, Any] = {a["type"]: a for a in macro.actions}
        prepared: dict[str, Any] = {}
        fields: dict[str, str] = {}
        for kind in ("reply", "note"):
            if kind in plan:
                body = plan[kind].get("body")
                if plan[kind].get("canned"):
                    body = self._canned_body(plan[kind]["canned"], actor)
                    if body is None:
                        fields[kind] = f"no canned reply is called {plan[kind]['canned']}"
                        continue
                prepared[kind] = self.canned.render(body or "", conversation_id, actor.agent_id)
        if "team" in plan:
            try:
                prepared["team"] = self.teams.resolve(plan["team"]["team"])
            except ValidationFailed as exc:
                fields.update(exc.fields)
        if "assign" in plan:
            prepared["assign"] = self._assignee(plan["assign"]["to"], actor, fields)
        if fields:
            raise ValidationFailed(f"the macro {macro.name} was not run", fields)
        return self._run(macro, conversation_id, actor, plan, prepared)

    def _canned_body(self, title: str, actor: Actor) -> str | None:
        """The team's canned reply by that title, or the runner's own (never another agent's)."""
        mine = CANNED_REPLIES.c.owner_id.is_(None) if actor.agent_id is None else \
            or_(CANNED_REPLIES.c.owner_id.is_(None), CANNED_REPLIES.c.owner_id == actor.agent_id)
        with self.db.read() as s:
            body: str | None = s.execute(select(CANNED_REPLIES.c.body).where(CANNED_REPLIES.c.title == title,
                                                                            mine)).scalar()
            return body

    def _assignee(self, to: str | None, actor: Actor, fields: dict[str, str]) -> int | None:
        if to is None:
            return None
        if to == "me":
            if actor.agent_id is None:
                fields["assign"] = "a token cannot take a conversation itself"
            return actor.agent_id
        with self.db.read() as s:
            agent_id: int | None = s.execute(select(AGENTS.c.id).where(AGENTS.c.email == to,
                                                                       AGENTS.c.active.is_(True))).scalar()
        if agent_id is None:
            fields["assign"] = f"no active agent has the email {to}"
        return agent_id

    @writes
    def _run(self, macro: Macro, conversation_id: int, actor: Actor, plan: dict[str, Any],
             prepared: dict[str, Any]) -> MacroRun:
        now = self.now()
        convs = self.conversations
        did: list[str] = []
        message_id = None
        with self.db.write() as tx:
            conn = tx.session.connection()
            insert_event(conn, conversation_id, now, f"Macro '{macro.name}' by {actor.name}", actor, event="macro",
                         macro=macro.name)
            audit(conn, now, actor, "macro.run", conversation_id, macro=macro.name)
            tags = plan["add_tags"]["tags"] if "add_tags" in plan else ()
            if any(k in plan for k in ("team", "assign", "priority", "add_tags")):
                convs.triage_in(tx, conn, load_state(conn, conversation_id), actor, now,
                                prepared["assign"] if "assign" in plan else UNSET,
                                plan["priority"]["value"] if "priority" in plan else None, None, add_tags=tags,
                                team_id=prepared["team"] if "team" in plan else UNSET)
                did += [w for k, w in (("team", "team"), ("assign", "assignee"), ("priority", "priority"),
                                       ("add_tags", "tags")) if k in plan]
            if "note" in plan:
                message_id = convs.note_in(tx, conn, load_state(conn, conversation_id), actor, prepared["note"],
                                           now).message_id
                did.append("note")
            status = plan["status"]["value"] if "status" in plan else None
            if "reply" in plan:
                written = convs.reply_in(tx, conn, load_state(conn, conversation_id), actor, prepared["reply"],
                                         status or PENDING, (), None, None, now)
                message_id = written.message_id
                did.append("reply")
            elif status is not None:
                change_status(tx, conn, load_state(conn, conversation_id), status, AGENT_CAUSE, actor, now,
                              convs.sla.rules())
            if status is not None:
                did.append(status)
            if "snooze" in plan:
                change_status(tx, conn, load_state(conn, conversation_id), SNOOZED, AGENT_CAUSE, actor, now,
                              convs.sla.rules(), snooze_until=now + timedelta(hours=plan["snooze"]["hours"]))
                did.append("snoozed")
            tx.emit(events.CONVERSATION_UPDATED, conversation_id, macro=macro.name)
        return MacroRun(conversation_id, did, message_id)

