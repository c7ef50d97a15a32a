"""Who has a conversation, how urgent it is and how it is labelled: assignment, priority
and tags, each leaving a system event or an audit row, all of them in one transaction
when asked together (the API's PATCH). Tags are read inside the write, so two agents
tagging at once never lose each other's tag."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.engine import Connection

from helpdesk import events
from helpdesk.models import PRIORITIES, Agent, Conversation, ConversationTag, Tag
from helpdesk.services.base import TEAM, Actor, audit, require_role, writes
from helpdesk.services.conversations.common import (UPDATE_CONVERSATION, ConversationBase, actor_words, insert_event,
                                                    load_state)
from helpdesk.services.errors import ValidationFailed
from helpdesk.services.sla import Clocks

_TAG = re.compile(r"^[\w][\w \-/.&]{0,49}$", re.UNICODE)
TAG = Tag.__table__  # type: ignore[attr-defined]
CONVERSATION_TAG = ConversationTag.__table__  # type: ignore[attr-defined]
AGENT = Agent.__table__  # type: ignore[attr-defined]
_TAGS_OF = select(TAG.c.name).join(CONVERSATION_TAG, CONVERSATION_TAG.c.tag_id == TAG.c.id).where(
    CONVERSATION_TAG.c.conversation_id == bindparam("b_id")).order_by(TAG.c.name)


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()  # "leave the assignee as it is" (None means unassign)


@dataclass(frozen=True)
class TriageResult:
    assignee_id: int | None
    priority: str
    tags: list[str]


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
               remove_tags: tuple[str, ...] | list[str] = ()) -> TriageResult:
        """Assign (or unassign with None), set the priority and the tags, in one transaction."""
        require_role(actor, *TEAM, doing="assign, prioritise or tag conversations")
        if priority is not None and priority not in PRIORITIES:
            raise ValidationFailed("unknown priority", {"priority": "must be urgent, high, normal or low"})
        return self._triage(conversation_id, actor, assignee_id, priority,
                            clean_tags(tags) if tags is not None else None, clean_tags(add_tags),
                            [clean_tag(t) for t in remove_tags])

    def assign(self, conversation_id: int, assignee_id: int | None, actor: Actor) -> Conversation:
        """Assign, transfer or unassign; each leaves a system event in the thread."""
        self.triage(conversation_id, actor, assignee_id=assignee_id)
        return self.get_row(conversation_id)  # type: ignore[attr-defined]

    def set_priority(self, conversation_id: int, priority: str, actor: Actor) -> Conversation:
        self.triage(conversation_id, actor, priority=priority)
        return self.get_row(conversation_id)  # type: ignore[attr-defined]

    def set_tags(self, conversation_id: int, names: list[str], actor: Actor) -> list[str]:
        """Replace the conversation's tags (tags are created on first use)."""
        return self.triage(conversation_id, actor, tags=names).tags

    def add_tag(self, conversation_id: int, name: str, actor: Actor) -> list[str]:
        return self.triage(conversation_id, actor, add_tags=[name]).tags

    def remove_tag(self, conversation_id: int, name: str, actor: Actor) -> list[str]:
        return self.triage(conversation_id, actor, remove_tags=[name]).tags

    @writes
    def _triage(self, conversation_id: int, actor: Actor, assignee_id: Any, priority: str | None,
                tags: list[str] | None, add_tags: list[str], remove_tags: list[str]) -> TriageResult:
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            state = load_state(conn, conversation_id)
            changed: dict[str, Any] = {}
            columns: dict[str, Any] = {}
            if assignee_id is not UNSET and assignee_id != state.assignee_id:
                self._assign(conn, state, assignee_id, actor, now)
                columns["assignee_id"] = changed["assignee_id"] = assignee_id
            if priority is not None and priority != state.priority:
                clocks = self.sla.rules().schedule(Clocks.of(state), priority)
                columns.update(priority=priority, **clocks.values())
                insert_event(conn, conversation_id, now, f"Priority changed from {state.priority} to {priority} by "
                             f"{actor_words(actor)}", actor, event="priority", old=state.priority, new=priority)
                audit(conn, now, actor, "conversation.priority", conversation_id, old=state.priority, new=priority)
                changed["priority"] = priority
            old_tags = tags_in(conn, conversation_id)
            new_tags = list(tags) if tags is not None else list(old_tags)
            new_tags = [t for t in new_tags + [t for t in add_tags if t not in new_tags] if t not in remove_tags]
            if sorted(new_tags) != sorted(old_tags):
                self._replace_tags(conn, conversation_id, new_tags)
                audit(conn, now, actor, "conversation.tags", conversation_id, old=old_tags, new=new_tags)
                changed["tags"] = new_tags
            if columns:
                conn.execute(UPDATE_CONVERSATION, {"b_id": conversation_id, "updated_at": now, **columns})
            if changed:
                tx.emit(events.CONVERSATION_UPDATED, conversation_id, **changed)
            return TriageResult(assignee_id=columns.get("assignee_id", state.assignee_id),
                                priority=columns.get("priority", state.priority), tags=sorted(new_tags))

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
            text = f"{who} took this conversation" if actor.agent_id == assignee_id else \
                f"Assigned to {names[assignee_id]} by {who}"
            kind = "assigned"
        elif assignee_id is not None:
            text, kind = f"Transferred from {names.get(old_id, 'someone')} to {names[assignee_id]} by {who}", "transferred"
        else:
            text, kind = f"Unassigned from {names.get(old_id, 'someone')} by {who}", "unassigned"
        insert_event(conn, state.id, now, text, actor, event=kind, old=old_id, to=assignee_id)
        audit(conn, now, actor, f"conversation.{kind}", state.id, old=old_id, new=assignee_id)

    @staticmethod
    def _replace_tags(conn: Connection, conversation_id: int, names: list[str]) -> None:
        conn.execute(delete(CONVERSATION_TAG).where(CONVERSATION_TAG.c.conversation_id == conversation_id))
        if not names:
            return
        known = dict(conn.execute(select(TAG.c.name, TAG.c.id).where(TAG.c.name.in_(names))).all())
        for name in names:
            if name not in known:
                known[name] = conn.execute(insert(TAG).values(name=name, color="")).inserted_primary_key[0]
        conn.execute(insert(CONVERSATION_TAG), [{"conversation_id": conversation_id, "tag_id": known[n]} for n in names])
