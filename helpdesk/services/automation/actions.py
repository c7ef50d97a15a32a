"""Doing a rule's actions inside the engine's write, as the rule (an actor named after it), through
the same services people use: assignment and tags through triage, status through the status
machine, replies and notes through the conversation services. The loop guards live here:
no automatic reply to a machine's message, at most one per conversation in a window, and a cap
per customer a day."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from helpdesk.events import AUTOMATION_NOTIFY, OUTBOX_ENQUEUED
from helpdesk.models import RESOLVED, SNOOZED
from helpdesk.models.tables import (AGENTS as AGENT, AUTOMATION_RUNS as RUN, CANNED_REPLIES as CANNED,
                                   CUSTOMERS as CUSTOMER)
from helpdesk.services.automation import assign
from helpdesk.services.automation.facts import Facts
from helpdesk.services.base import Actor
from helpdesk.services.canned import render_template
from helpdesk.services.conversations.common import load_state
from helpdesk.services.conversations.status import AGENT as BY_AGENT
from helpdesk.services.conversations.status import change_status
from helpdesk.services.outbox import enqueue
from helpdesk.services.promise import reply_words

CHANNEL_WORDS = {"email": "email", "sms": "SMS", "whatsapp": "WhatsApp", "telegram": "Telegram", "chat": "the chat"}
RULE_FIRED = "rule.fired"


class Skip(Exception):
    """An action that must not happen now, said in words ("the customer's message was automatic")."""


@dataclass
class Limits:
    reply_window_hours: float = 24.0  # at most one automatic reply per conversation in this many hours
    customer_per_day: int = 3  # at most this many automatic replies to one customer in 24 hours


@dataclass
class Done:
    said: list[str] = field(default_factory=list)  # for the thread: what left no event of its own
    history: list[str] = field(default_factory=list)  # for the rule's history: everything
    skipped: list[str] = field(default_factory=list)
    replied: bool = False
    moved: bool = False  # the conversation's row changed (not only its tags): read it again after


class Actions:
    def __init__(self, conversations: Any, promise: Any, links: Any) -> None:
        self.conversations = conversations
        self.promise = promise
        self.links = links
        self._replied: list[tuple[int, int, datetime]] = []  # this pass's replies, not yet in the run rows

    def begin_pass(self) -> None:
        self._replied = []

    def run(self, tx: Any, conn: Connection, rule: Any, event: Any, facts: Facts, actor: Actor, now: datetime,
            limits: Limits) -> Done:
        done = Done()
        for i, action in enumerate(rule.actions):
            if i and done.moved:  # the next action sees what the last one did
                facts.refresh(load_state(conn, facts.state.id))
                done.moved = False
            state = facts.state
            try:
                getattr(self, f"_{action['type']}")(tx, conn, rule, event, facts, state, action, actor, now, limits,
                                                    done)
            except Skip as why:
                done.skipped.append(f"{_verb(action)}: {why}")
        return done

    # ---- each action ------------------------------------------------------------------------

    def _assign(self, tx, conn, rule, event, facts, state, action, actor, now, limits, done) -> None:  # type: ignore[no-untyped-def]
        if state.assignee_id is not None:
            raise Skip("it is already assigned")
        choice = assign.choose(conn, action, (rule.state or {}).get("last"), now, facts.calendar)
        if choice.agent_id is None:
            raise Skip(choice.why_not)
        self.conversations.triage_in(tx, conn, state, actor, now, choice.agent_id, None, None, old_tags=[])
        done.moved = True
        rule.state = {**(rule.state or {}), "last": choice.agent_id}
        done.history.append(f"assigned to {choice.name}")

    def _priority(self, tx, conn, rule, event, facts, state, action, actor, now, limits, done) -> None:  # type: ignore[no-untyped-def]
        if state.priority == action["value"]:
            raise Skip(f"it is {state.priority} already")
        self.conversations.triage_in(tx, conn, state, actor, now, _UNSET(), action["value"], None, old_tags=[])
        done.moved = True
        done.history.append(f"set priority {action['value']}")

    def _add_tags(self, tx, conn, rule, event, facts, state, action, actor, now, limits, done) -> None:  # type: ignore[no-untyped-def]
        new = [t for t in action["tags"] if t not in facts.tags]
        if not new:
            raise Skip("it has those tags already")
        self.conversations.triage_in(tx, conn, state, actor, now, _UNSET(), None, None, add_tags=new,
                                     old_tags=sorted(facts.tags))
        facts.tags.update(new)
        done.said.append(f"tagged {', '.join(new)}")
        done.history.append(f"tagged {', '.join(new)}")

    def _remove_tags(self, tx, conn, rule, event, facts, state, action, actor, now, limits, done) -> None:  # type: ignore[no-untyped-def]
        gone = [t for t in action["tags"] if t in facts.tags]
        if not gone:
            raise Skip("it has none of those tags")
        self.conversations.triage_in(tx, conn, state, actor, now, _UNSET(), None, None, remove_tags=gone,
                                     old_tags=sorted(facts.tags))
        facts.tags.difference_update(gone)
        done.said.append(f"removed the tag{'s' if len(gone) > 1 else ''} {', '.join(gone)}")
        done.history.append(f"untagged {', '.join(gone)}")

    def _reply(self, tx, conn, rule, event, facts, state, action, actor, now, limits, done) -> None:  # type: ignore[no-untyped-def]
        self.guard_reply(conn, facts, state, now, limits)
        body = action.get("body") or self._canned(conn, action["canned"])
        text = self.fill(conn, body, state, now)
        written = self.conversations.automatic_reply_in(tx, conn, state, text, now, {
            "automatic": "rule", "rule": rule.name, "rule_title": rule.title,
            **({"choices": action["choices"]} if action.get("choices") else {})})
        self._replied.append((state.id, state.customer_id, now))
        done.replied = done.moved = True
        done.said.append("replied")
        channel = written.delivery.channel if written.delivery else ""
        done.history.append(f"replied by {CHANNEL_WORDS[channel]}" if channel in CHANNEL_WORDS
                            else "replied on the conversation page")

    def _note(self, tx, conn, rule, event, facts, state, action, actor, now, limits, done) -> None:  # type: ignore[no-untyped-def]
        self.conversations.note_in(tx, conn, state, actor, self.fill(conn, action["body"], state, now), now,
                                   meta={"rule": rule.name, "rule_title": rule.title})
        done.moved = True
        done.history.append("added a note")

    def _snooze(self, tx, conn, rule, event, facts, state, action, actor, now, limits, done) -> None:  # type: ignore[no-untyped-def]
        if state.status == RESOLVED:
            raise Skip("it is resolved")
        if action.get("until") == "next_opening":
            until = facts.calendar.next_opening(now)
            if until is None:
                raise Skip("the shop has no business hours to wait for")
        else:
            until = now + timedelta(hours=action["hours"])
        change_status(tx, conn, state, SNOOZED, BY_AGENT, actor, now, self.conversations.sla.rules(),
                      snooze_until=until)
        done.moved = True
        done.history.append(f"snoozed until {until:%Y-%m-%d %H:%M} UTC")

    def _resolve(self, tx, conn, rule, event, facts, state, action, actor, now, limits, done) -> None:  # type: ignore[no-untyped-def]
        if state.status == RESOLVED:
            raise Skip("it is resolved already")
        change_status(tx, conn, state, RESOLVED, BY_AGENT, actor, now, self.conversations.sla.rules())
        done.moved = True
        done.history.append("resolved")

    def _webhook(self, tx, conn, rule, event, facts, state, action, actor, now, limits, done) -> None:  # type: ignore[no-untyped-def]
        enqueue(conn, RULE_FIRED, state.id, {
            "rule": rule.name, "title": rule.title, "trigger": event.type, "conversation_id": state.id,
            "status": state.status, "priority": state.priority, "happened_at": event.at.isoformat()}, now)
        tx.emit(OUTBOX_ENQUEUED, state.id)
        done.said.append("sent a webhook")
        done.history.append("sent a webhook")

    def _notify(self, tx, conn, rule, event, facts, state, action, actor, now, limits, done) -> None:  # type: ignore[no-untyped-def]
        text = self.fill(conn, action["body"], state, now)
        tx.emit(AUTOMATION_NOTIFY, state.id, text=text, rule=rule.title)
        done.said.append("notified the agents")
        done.history.append("notified the agents")

    # ---- guards and words -------------------------------------------------------------------

    def guard_reply(self, conn: Connection, facts: Facts, state: Any, now: datetime, limits: Limits) -> None:
        """Automatic messages never answer automatic messages, nor flood a thread or a customer."""
        if facts.automatic:
            raise Skip(f"the customer's message was automatic ({facts.automatic})")
        window = now - timedelta(hours=limits.reply_window_hours)
        day = now - timedelta(hours=24)
        if any(c == state.id and at > window for c, _, at in self._replied) or conn.execute(
                select(RUN.c.id).where(RUN.c.conversation_id == state.id, RUN.c.replied_at > window)
                .limit(1)).first() is not None:
            raise Skip(f"this conversation had an automatic reply in the last {limits.reply_window_hours:g} hours")
        sent = sum(1 for _, k, at in self._replied if k == state.customer_id and at > day) + conn.execute(
            select(func.count()).select_from(RUN).where(RUN.c.customer_id == state.customer_id,
                                                        RUN.c.replied_at > day)).scalar_one()
        if sent >= limits.customer_per_day:
            raise Skip(f"this customer had {sent} automatic replies in the last 24 hours")

    @staticmethod
    def _canned(conn: Connection, title: str) -> str:
        body = conn.execute(select(CANNED.c.body).where(CANNED.c.title == title)).scalar()
        if body is None:
            raise LookupError(f"there is no canned reply called '{title}' any more")
        return body

    def fill(self, conn: Connection, body: str, state: Any, now: datetime) -> str:
        """A reply's or note's variables: the canned reply ones, the team's name, its hours and promise."""
        name = (conn.execute(select(CUSTOMER.c.name).where(CUSTOMER.c.id == state.customer_id)).scalar() or "").strip()
        agent = conn.execute(select(AGENT.c.name).where(AGENT.c.id == state.assignee_id)).scalar() \
            if state.assignee_id else None
        promise = self.promise.for_conversation(state)
        closed = promise.open_now is False and promise.next_open is not None
        values = {
            "customer.name": name or "there", "customer.first_name": name.split()[0] if name else "there",
            "agent.name": agent or promise.team, "conversation.link": self.links.conversation(state.public_token),
            "team.name": promise.team, "promise.reply_within": promise.reply_within,
            "promise.reply_by": reply_words(promise, now),
            "promise.hours": f"We're closed now and back {promise.local(promise.next_open, now)}." if closed else "",
            "hours.next_open": promise.local(promise.next_open, now) if closed else "now",
        }
        text = render_template(body, values)
        return re.sub(r"[ \t]{2,}", " ", text).replace(" \n", "\n").strip()


def _verb(action: dict) -> str:
    return {"assign": "did not assign", "priority": "left the priority", "add_tags": "added no tag",
            "remove_tags": "removed no tag", "reply": "did not reply", "snooze": "did not snooze",
            "resolve": "did not resolve"}.get(action["type"], f"skipped {action['type']}")


def _UNSET() -> Any:
    from helpdesk.services.conversations.triage import UNSET

    return UNSET
