"""Doing a rule's actions inside the engine's write, as the rule (an actor named after it), through
the same services people use: assignment and tags through triage, status through the status
machine, replies and notes through the conversation services. The loop guards live here:
no automatic reply to a machine's message, at most one per conversation in a window, and a cap
per customer a day."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

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


@dataclass
class ActionContext:
    """What one action of a rule works with: the transaction and its connection, the rule and
    the event that set it off, what is known of the conversation (`facts`, its `state` row now),
    the action's own settings, who acts, when, the pass's limits and what the rule has done."""

    tx: Any
    conn: Connection
    rule: Any
    event: Any
    facts: Facts
    state: Any
    action: dict[str, Any]
    actor: Actor
    now: datetime
    limits: Limits
    done: Done


class Actions:
    def __init__(self, conversations: Any, promise: Any, links: Any, articles: Any) -> None:
        self.conversations = conversations
        self.articles = articles
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
                HANDLERS[action["type"]](self, ActionContext(tx, conn, rule, event, facts, state, action, actor, now,
                                                             limits, done))
            except Skip as why:
                done.skipped.append(f"{_verb(action)}: {why}")
        return done

    # ---- each action ------------------------------------------------------------------------

    def _assign(self, a: ActionContext) -> None:
        team = assign.team_named(a.conn, a.action["team"]) if a.action.get("team") else None
        if a.action.get("team") and team is None:
            raise Skip(f"no team is called {a.action['team']}")
        state = a.state
        if team is not None and state.team_id != team[0]:  # into the team's queue first
            self.conversations.triage_in(a.tx, a.conn, state, a.actor, a.now, _UNSET(), None, None, old_tags=[],
                                         team_id=team[0])
            a.done.moved = True
            a.done.history.append(f"moved to {team[1]}")
            state = load_state(a.conn, state.id)
        if state.assignee_id is not None:
            raise Skip("it is already assigned")
        choice = assign.choose(a.conn, a.action, (a.rule.state or {}).get("last"), a.now,
                               a.facts.rules.calendar_of(state.team_id), team[0] if team is not None else None)
        if choice.agent_id is None:
            raise Skip(choice.why_not)
        self.conversations.triage_in(a.tx, a.conn, state, a.actor, a.now, choice.agent_id, None, None, old_tags=[])
        a.done.moved = True
        a.rule.state = {**(a.rule.state or {}), "last": choice.agent_id}
        a.done.history.append(f"assigned to {choice.name}")

    def _priority(self, a: ActionContext) -> None:
        if a.state.priority == a.action["value"]:
            raise Skip(f"it is {a.state.priority} already")
        self.conversations.triage_in(a.tx, a.conn, a.state, a.actor, a.now, _UNSET(), a.action["value"], None,
                                     old_tags=[])
        a.done.moved = True
        a.done.history.append(f"set priority {a.action['value']}")

    def _add_tags(self, a: ActionContext) -> None:
        new = [t for t in a.action["tags"] if t not in a.facts.tags]
        if not new:
            raise Skip("it has those tags already")
        self.conversations.triage_in(a.tx, a.conn, a.state, a.actor, a.now, _UNSET(), None, None, add_tags=new,
                                     old_tags=sorted(a.facts.tags))
        a.facts.tags.update(new)
        a.done.said.append(f"tagged {', '.join(new)}")
        a.done.history.append(f"tagged {', '.join(new)}")

    def _remove_tags(self, a: ActionContext) -> None:
        gone = [t for t in a.action["tags"] if t in a.facts.tags]
        if not gone:
            raise Skip("it has none of those tags")
        self.conversations.triage_in(a.tx, a.conn, a.state, a.actor, a.now, _UNSET(), None, None, remove_tags=gone,
                                     old_tags=sorted(a.facts.tags))
        a.facts.tags.difference_update(gone)
        a.done.said.append(f"removed the tag{'s' if len(gone) > 1 else ''} {', '.join(gone)}")
        a.done.history.append(f"untagged {', '.join(gone)}")

    def _reply(self, a: ActionContext) -> None:
        self.guard_reply(a.conn, a.facts, a.state, a.now, a.limits)
        body = a.action.get("body") or self._canned(a.conn, a.action["canned"])
        text = self.fill(a.conn, body, a.state, a.now)
        written = self.conversations.automatic_reply_in(a.tx, a.conn, a.state, text, a.now, {
            "automatic": "rule", "rule": a.rule.name, "rule_title": a.rule.title,
            **({"choices": a.action["choices"]} if a.action.get("choices") else {})})
        self._replied.append((a.state.id, a.state.customer_id, a.now))
        a.done.replied = a.done.moved = True
        a.done.said.append("replied")
        channel = written.delivery.channel if written.delivery else ""
        a.done.history.append(f"replied by {CHANNEL_WORDS[channel]}" if channel in CHANNEL_WORDS
                            else "replied on the conversation page")

    def _reply_article(self, a: ActionContext) -> None:
        """The named published article, or the one that best answers the customer's words, as a link."""
        self.guard_reply(a.conn, a.facts, a.state, a.now, a.limits)
        if a.action.get("article"):
            article = self.articles.published_called(a.conn, a.action["article"])
            if article is None:
                raise Skip(f"no published help article is called '{a.action['article']}'")
        else:
            # Articles are committed data, so a read beside this transaction sees them all.
            found = self.articles.suggest(f"{a.state.subject or ''} {a.facts.text}", None)
            if not found:
                raise Skip("no published help article matches the customer's words")
            article = found[0]
        intro = self.fill(a.conn, a.action["body"], a.state, a.now) if a.action.get("body") else \
            "This may answer your question:"
        text = f"{intro}\n\n{article.title}\n{self.articles.url(article)}"
        written = self.conversations.automatic_reply_in(a.tx, a.conn, a.state, text, a.now, {
            "automatic": "rule", "rule": a.rule.name, "rule_title": a.rule.title, "article_id": article.id})
        self._replied.append((a.state.id, a.state.customer_id, a.now))
        a.done.replied = a.done.moved = True
        a.done.said.append(f"replied with the help article '{article.title}'")
        channel = written.delivery.channel if written.delivery else ""
        a.done.history.append(f"replied with the help article '{article.title}'" + (
            f" by {CHANNEL_WORDS[channel]}" if channel in CHANNEL_WORDS else ""))

    def _note(self, a: ActionContext) -> None:
        body = self.fill(a.conn, a.action["body"], a.state, a.now)
        self.conversations.note_in(a.tx, a.conn, a.state, a.actor, body, a.now,
                                   meta={"rule": a.rule.name, "rule_title": a.rule.title})
        a.done.moved = True
        a.done.history.append("added a note")

    def _snooze(self, a: ActionContext) -> None:
        if a.state.status == RESOLVED:
            raise Skip("it is resolved")
        if a.action.get("until") == "next_opening":
            until = a.facts.calendar.next_opening(a.now)
            if until is None:
                raise Skip("the shop has no business hours to wait for")
        else:
            until = a.now + timedelta(hours=a.action["hours"])
        change_status(a.tx, a.conn, a.state, SNOOZED, BY_AGENT, a.actor, a.now, self.conversations.sla.rules(),
                      snooze_until=until)
        a.done.moved = True
        a.done.history.append(f"snoozed until {until:%Y-%m-%d %H:%M} UTC")

    def _resolve(self, a: ActionContext) -> None:
        if a.state.status == RESOLVED:
            raise Skip("it is resolved already")
        change_status(a.tx, a.conn, a.state, RESOLVED, BY_AGENT, a.actor, a.now, self.conversations.sla.rules())
        a.done.moved = True
        a.done.history.append("resolved")

    def _webhook(self, a: ActionContext) -> None:
        enqueue(a.conn, RULE_FIRED, a.state.id, {
            "rule": a.rule.name, "title": a.rule.title, "trigger": a.event.type, "conversation_id": a.state.id,
            "status": a.state.status, "priority": a.state.priority, "happened_at": a.event.at.isoformat()}, a.now)
        a.tx.emit(OUTBOX_ENQUEUED, a.state.id)
        a.done.said.append("sent a webhook")
        a.done.history.append("sent a webhook")

    def _notify(self, a: ActionContext) -> None:
        text = self.fill(a.conn, a.action["body"], a.state, a.now)
        a.tx.emit(AUTOMATION_NOTIFY, a.state.id, text=text, rule=a.rule.title)
        a.done.said.append("notified the agents")
        a.done.history.append("notified the agents")

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
        return str(body)

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


def _verb(action: dict[str, Any]) -> str:
    return {"assign": "did not assign", "priority": "left the priority", "add_tags": "added no tag",
            "remove_tags": "removed no tag", "reply": "did not reply",
            "reply_article": "did not reply with an article", "snooze": "did not snooze",
            "resolve": "did not resolve"}.get(action["type"], f"skipped {action['type']}")


def _UNSET() -> Any:
    from helpdesk.services.base import UNSET

    return UNSET


# Each action type (services/automation/spec.py) to what does it.
HANDLERS: dict[str, Callable[[Actions, ActionContext], None]] = {
    "assign": Actions._assign, "priority": Actions._priority, "add_tags": Actions._add_tags,
    "remove_tags": Actions._remove_tags, "reply": Actions._reply,
    "reply_article": Actions._reply_article, "note": Actions._note, "snooze": Actions._snooze,
    "resolve": Actions._resolve, "webhook": Actions._webhook, "notify": Actions._notify,
}
