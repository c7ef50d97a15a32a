"""Who has a conversation, how urgent it is and how it is labelled: assignment, priority
and tags, each leaving a system event or an audit row, all of them in one transaction
when asked together (the API's PATCH). Tags are read inside the write, so two agents
tagging at once never lose each other's tag."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.engine import Connection

from helpdesk.events import CONVERSATION_TRANSFERRED
from helpdesk.db import Transaction

from helpdesk import events
from helpdesk.models import PRIORITIES, SNOOZED, STATUSES, Agent, Conversation
from helpdesk.models.tables import AGENTS as AGENT, CONVERSATION_TAGS as CONVERSATION_TAG, TAGS as TAG
from helpdesk.services.base import TEAM, UNSET, Actor, audit, new_id, require_role, require_scope, writes
from helpdesk.services.conversations.common import UPDATE_CONVERSATION, ConversationBase, actor_words, load_state
from helpdesk.services.thread_events import insert_event
from helpdesk.services.conversations.status import AGENT as AGENT_CAUSE
from helpdesk.services.conversations.status import change_status
from helpdesk.services.errors import ValidationFailed
from helpdesk.services.teams import TeamService, members_of, team_names
from helpdesk.services.sla import Clocks

_TAG = re.compile(r"^[\w][\w \-/.&]{0,49}$", re.UNICODE)
_TAGS_OF = select(TAG.c.name).join(CONVERSATION_TAG, CONVERSATION_TAG.c.tag_id == TAG.c.id).where(
    CONVERSATION_TAG.c.conversation_id == bindparam("b_id")).order_by(TAG.c.name)




@dataclass(frozen=True)
class TriageResult:
    assignee_id: int | None
    priority: str
    tags: list[str]
    team_id: int | None = None


def clean_tag(raw: str) -> str:
    return " ".join(raw.split()).lower()


def clean_tags(names: list[str] | tuple[str, ...]) -> list[str]:
    clean: list[str] = []
    for raw in names:
        name = clean_tag(raw)
        if not name:
            continue
        if not _TAG.match(name):
            raise ValidationFailed("a tag name is not usable", {"tags": "use up to 50 letters, digits, spaces or - / . &"})
        if name not in clean:
            clean.append(name)
    return clean


def tags_in(conn: Connection, conversation_id: int) -> list[str]:
    return list(conn.execute(_TAGS_OF, {"b_id": conversation_id}).scalars())


class TriageMixin(ConversationBase):
    def triage(self, conversation_id: int, actor: Actor, *, assignee_id: Any = UNSET, priority: str | None = None,
               tags: list[str] | None = None, add_tags: tuple[str, ...] | list[str] = (),
               remove_tags: tuple[str, ...] | list[str] = (), team_id: Any = UNSET) -> TriageResult:
        """Assign (or unassign with None), move to a team (or to none), set the priority and the
        tags, in one transaction."""
        require_role(actor, *TEAM, doing="assign, prioritise or tag conversations")
        require_scope(actor, "reply", "assign, prioritise or tag conversations")
        if priority is not None and priority not in PRIORITIES:
            raise ValidationFailed("unknown priority", {"priority": "must be urgent, high, normal or low"})
        return self._triage(conversation_id, actor, assignee_id, priority,
                            clean_tags(tags) if tags is not None else None, clean_tags(add_tags),
                            [clean_tag(t) for t in remove_tags], team_id)

    def assign(self, conversation_id: int, assignee_id: int | None, actor: Actor) -> Conversation:
        """Assign, transfer or unassign; each leaves a system event in the thread."""
        self.triage(conversation_id, actor, assignee_id=assignee_id)
        return self.get_row(conversation_id)

    def set_team(self, conversation_id: int, team_id: int | None, actor: Actor) -> Conversation:
        """Move to a team's queue (None: to no team's). Its assignee stays when a member of the
        new team; otherwise it waits in that team's Unassigned queue."""
        self.triage(conversation_id, actor, team_id=team_id)
        return self.get_row(conversation_id)

    def set_priority(self, conversation_id: int, priority: str, actor: Actor) -> Conversation:
        self.triage(conversation_id, actor, priority=priority)
        return self.get_row(conversation_id)

    def set_tags(self, conversation_id: int, names: list[str], actor: Actor) -> list[str]:
        """Replace the conversation's tags (tags are created on first use)."""
        return self.triage(conversation_id, actor, tags=names).tags

    def add_tag(self, conversation_id: int, name: str, actor: Actor) -> list[str]:
        return self.triage(conversation_id, actor, add_tags=[name]).tags

    def remove_tag(self, conversation_id: int, name: str, actor: Actor) -> list[str]:
        return self.triage(conversation_id, actor, remove_tags=[name]).tags

    @writes
    def _triage(self, conversation_id: int, actor: Actor, assignee_id: Any, priority: str | None,
                tags: list[str] | None, add_tags: list[str], remove_tags: list[str], team_id: Any = UNSET) -> TriageResult:
        with self.db.write() as tx:
            conn = tx.session.connection()
            return self.triage_in(tx, conn, load_state(conn, conversation_id), actor, self.now(), assignee_id,
                                  priority, tags, add_tags, remove_tags, team_id=team_id)

    def triage_in(self, tx: Transaction, conn: Connection, state: Any, actor: Actor, now: datetime, assignee_id: Any,
                  priority: str | None, tags: list[str] | None, add_tags: Sequence[str] = (),
                  remove_tags: Sequence[str] = (), old_tags: list[str] | None = None,
                  team_id: Any = UNSET) -> TriageResult:
        """Team, assignment, priority and tags inside the caller's write (`old_tags`: the tags as
        the caller has just read them in this same write, to save reading them again)."""
        conversation_id = state.id
        changed: dict[str, Any] = {}
        columns: dict[str, Any] = {}
        if team_id is not UNSET and team_id != state.team_id:
            members = self._move_to_team(conn, state, team_id, actor, now)
            columns["team_id"] = changed["team_id"] = team_id
            if team_id is not None and (state.team_id is not None or state.assignee_id is not None):
                # From one team or person to another team: a hand-over (a summary, where a model is set).
                tx.emit(CONVERSATION_TRANSFERRED, conversation_id, old=state.assignee_id, team=team_id,
                        old_team=state.team_id)
            keeps = assignee_id if assignee_id is not UNSET else state.assignee_id
            if team_id is not None and keeps is not None and keeps not in members:
                assignee_id = None  # not in the new team: it waits in the team's Unassigned queue
        if assignee_id is not UNSET and assignee_id != state.assignee_id:
            self._assign(conn, state, assignee_id, actor, now)
            columns["assignee_id"] = changed["assignee_id"] = assignee_id
            if state.assignee_id is not None and assignee_id is not None and "team_id" not in changed:
                # From one person to another (a move to a team said so already: one summary).
                tx.emit(CONVERSATION_TRANSFERRED, conversation_id, old=state.assignee_id, to=assignee_id)
        if (priority is not None and priority != state.priority) or "team_id" in columns:
            # Deadlines follow the priority's targets in the team's hours (a team may keep its own).
            clocks = self.sla.rules().schedule(Clocks.of(state), priority or state.priority,
                                               columns.get("team_id", state.team_id))
            columns.update(clocks.values())
        if priority is not None and priority != state.priority:
            columns.update(priority=priority)
            insert_event(conn, conversation_id, now, f"Priority changed from {state.priority} to {priority} by "
                         f"{actor_words(actor)}", actor, event="priority", old=state.priority, new=priority)
            audit(conn, now, actor, "conversation.priority", conversation_id, old=state.priority, new=priority)
            changed["priority"] = priority
        old_tags = tags_in(conn, conversation_id) if old_tags is None else old_tags
        new_tags = list(tags) if tags is not None else list(old_tags)
        new_tags = [t for t in new_tags + [t for t in add_tags if t not in new_tags] if t not in remove_tags]
        if sorted(new_tags) != sorted(old_tags):
            self._replace_tags(conn, conversation_id, old_tags, new_tags)
            audit(conn, now, actor, "conversation.tags", conversation_id, old=old_tags, new=new_tags)
            changed["tags"] = new_tags
        if columns:
            conn.execute(UPDATE_CONVERSATION, {"b_id": conversation_id, "updated_at": now, **columns})
        if changed:
            tx.emit(events.CONVERSATION_UPDATED, conversation_id, **changed)
        return TriageResult(assignee_id=columns.get("assignee_id", state.assignee_id),
                            priority=columns.get("priority", state.priority), tags=sorted(new_tags),
                            team_id=columns.get("team_id", state.team_id))

    def update(self, conversation_id: int, actor: Actor, *, status: str | None = None,
               snooze_until: datetime | None = None, assignee_email: Any = UNSET, priority: str | None = None,
               tags: list[str] | None = None, team: Any = UNSET) -> Conversation:
        """Change any of status (with snooze_until), team (by name, or None), assignee (by email,
        or None), priority and tags in one transaction: all of them, or none when one is refused."""
        require_role(actor, *TEAM, doing="change a conversation")
        require_scope(actor, "reply", "change a conversation")
        fields: dict[str, str] = {}
        if status is not None and status not in STATUSES:
            fields["status"] = "must be open, pending, snoozed or resolved"
        if status == SNOOZED and (snooze_until is None or snooze_until.tzinfo is None or snooze_until <= self.now()):
            fields["snoozed_until"] = "a snooze needs a time in the future, with a time zone"
        if status != SNOOZED and snooze_until is not None:
            fields["snoozed_until"] = "only with status snoozed"
        if priority is not None and priority not in PRIORITIES:
            fields["priority"] = "must be urgent, high, normal or low"
        assignee: Any = UNSET
        if assignee_email is not UNSET:
            assignee = None
            if assignee_email is not None:
                agent = next((a for a in self.agents_by_email() if a.email == (assignee_email or "").strip().lower()
                              and a.active), None)
                if agent is None:
                    fields["assignee_email"] = "no active agent has this email"
                else:
                    assignee = agent.id
        team_id: Any = UNSET
        if team is not UNSET:
            try:
                team_id = TeamService(self.db, self.clock, self.settings, sla=self.sla).resolve(team)
            except ValidationFailed as exc:
                fields.update(exc.fields)
        clean = clean_tags(tags) if tags is not None else None
        if fields:
            raise ValidationFailed("the conversation was not changed", fields)
        self._update(conversation_id, actor, status, snooze_until, assignee, priority, clean, team_id)
        return self.get_row(conversation_id)

    def agents_by_email(self) -> list[Agent]:
        with self.db.read() as s:
            return list(s.execute(select(Agent)).scalars())

    @writes
    def _update(self, conversation_id: int, actor: Actor, status: str | None, snooze_until: datetime | None,
                assignee: Any, priority: str | None, tags: list[str] | None, team_id: Any = UNSET) -> None:
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            self.triage_in(tx, conn, load_state(conn, conversation_id), actor, now, assignee, priority, tags,
                           team_id=team_id)
            if status is not None:
                change_status(tx, conn, load_state(conn, conversation_id), status, AGENT_CAUSE, actor, now,
                              self.sla.rules(), snooze_until=snooze_until)

    @staticmethod
    def _assign(conn: Connection, state: Any, assignee_id: int | None, actor: Actor, now: Any) -> None:
        names = dict(conn.execute(select(AGENT.c.id, AGENT.c.name).where(
            AGENT.c.id.in_([i for i in (assignee_id, state.assignee_id) if i is not None]))).all())
        if assignee_id is not None:
            active = conn.execute(select(AGENT.c.active).where(AGENT.c.id == assignee_id)).scalar()
            if not active:
                raise ValidationFailed("no such active agent", {"assignee_id": "must be an active agent"})
        who = actor_words(actor)
        old_id = state.assignee_id
        if old_id is None:
            text = f"{who} took this conversation" if actor.agent_id == assignee_id else\
                f"Assigned to {names[assignee_id]} by {who}"
            kind = "assigned"
        elif assignee_id is not None:
            text, kind = f"Transferred from {names.get(old_id, 'someone')} to {names[assignee_id]} by {who}", "transferred"
        else:
            text, kind = f"Unassigned from {names.get(old_id, 'someone')} by {who}", "unassigned"
        insert_event(conn, state.id, now, text, actor, event=kind, old=old_id, to=assignee_id)
        audit(conn, now, actor, f"conversation.{kind}", state.id, old=old_id, new=assignee_id)

    @staticmethod
    def _move_to_team(conn: Connection, state: Any, team_id: int | None, actor: Actor, now: datetime) -> set[int]:
        """The thread and the audit log say where it went; the new team's members, to check the assignee."""
        names = team_names(conn)
        if team_id is not None and team_id not in names:
            raise ValidationFailed("no such team", {"team": "no such team"})
        old, who = names.get(state.team_id) if state.team_id is not None else None, actor_words(actor)
        if team_id is None:
            text = f"Taken out of {old} by {who}"
        else:
            text = f"Moved from {old} to {names[team_id]} by {who}" if old else f"Moved to {names[team_id]} by {who}"
        insert_event(conn, state.id, now, text, actor, event="team", old=state.team_id, new=team_id)
        audit(conn, now, actor, "conversation.team", state.id, old=state.team_id, new=team_id)
        return members_of(conn, team_id) if team_id is not None else set()

    @staticmethod
    def _replace_tags(conn: Connection, conversation_id: int, old: list[str], new: list[str]) -> None:
        """Only what changes: the tags taken off, and the ones put on (created on first use)."""
        gone, added = [t for t in old if t not in new], [t for t in new if t not in old]
        if gone:
            conn.execute(delete(CONVERSATION_TAG).where(CONVERSATION_TAG.c.conversation_id == conversation_id,
                                                        CONVERSATION_TAG.c.tag_id.in_(
                                                            select(TAG.c.id).where(TAG.c.name.in_(gone)))))
        if not added:
            return
        known = dict(conn.execute(select(TAG.c.name, TAG.c.id).where(TAG.c.name.in_(added))).all())
        for name in added:
            if name not in known:
                known[name] = new_id(conn.execute(insert(TAG).values(name=name, color="")))
        conn.execute(insert(CONVERSATION_TAG), [{"conversation_id": conversation_id, "tag_id": known[n]} for n in added])
