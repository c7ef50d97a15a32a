"""The conversation state machine: the one place a status changes.

Every change, whoever causes it (an agent or bot, a public reply, a customer message,
a snooze running out, the auto-resolve job, a bot handing over), goes through
`change_status`, which checks the transition against TRANSITIONS and then, the same way
every time: writes the system event in the thread, the audit row, the conversation's
columns with its SLA clocks moved on, and the bus event.

    open ──reply/agent──▶ pending ──customer──▶ open
      │                     │ no word for N days (auto-resolve)
      ├──agent──▶ snoozed ──┴─ time's up / customer ──▶ open
      └──agent/reply──▶ resolved ──customer (re-contact) / agent (reopen)──▶ open
    any ──agent "Mark as spam"──▶ spam ──agent "Not spam"──▶ open
    (a customer message in spam stays there: services/conversations/spam.py)
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import Row, func, select
from sqlalchemy.engine import Connection

from helpdesk import events
from helpdesk.db import Transaction
from helpdesk.models import OPEN, PENDING, RESOLVED, SNOOZED, SPAM, STATUSES, Conversation
from helpdesk.models.tables import CONVERSATIONS as CONVERSATION, MESSAGES as MESSAGE
from helpdesk.services.base import TEAM, Actor, audit, require_role, writes
from helpdesk.services.conversations.common import (STATE_COLUMNS, UPDATE_CONVERSATION, ConversationBase, actor_words,
                                                    fmt_time, load_state)
from helpdesk.services.thread_events import insert_event
from helpdesk.services.errors import Conflict, ValidationFailed
from helpdesk.services.automation.record import record as record_for_rules
from helpdesk.services.sla import Clocks, SlaRules

# Why a status changes.
AGENT = "agent"              # a person, bot or rule sets it: Resolve, Reopen, Snooze, Set pending, PATCH
REPLY = "reply"              # a public reply says what comes next: pending, resolved or kept open
CUSTOMER = "customer"        # a customer message opens the conversation, whatever it was
TIMER = "timer"              # a snooze ran out
AUTO_RESOLVE = "auto_resolve"  # pending on the customer with no word for N days
HANDOFF = "handoff"          # a bot hands the conversation to people
SPAM_CAUSE = "spam"          # "Mark as spam", "Not spam", or a blocked sender / a mail server's spam flag
CAUSES = (AGENT, REPLY, CUSTOMER, TIMER, AUTO_RESOLVE, HANDOFF, SPAM_CAUSE)


@dataclass(frozen=True)
class Step:
    """What an allowed transition writes in the thread: `event` names it for machines
    (reports count "resolved" and "auto_resolved"); None is a quiet change."""

    event: str | None
    text: str = ""


def _table() -> dict[tuple[str, str, str], Step]:
    t: dict[tuple[str, str, str], Step] = {}
    for old in (OPEN, PENDING, SNOOZED):
        t[(AGENT, old, RESOLVED)] = Step("resolved", "Resolved by {who}")
        t[(AGENT, old, SNOOZED)] = Step("snoozed", "Snoozed by {who} until {until}")
        t[(REPLY, old, RESOLVED)] = Step("resolved", "Resolved by {who}")
    for old in (OPEN, SNOOZED):
        t[(AGENT, old, PENDING)] = Step("pending", "Set to pending by {who}")
    for old in (PENDING, SNOOZED):
        t[(AGENT, old, OPEN)] = Step("opened", "Marked open by {who}")
        t[(REPLY, old, OPEN)] = Step("opened", "Marked open by {who}")
    t[(AGENT, RESOLVED, OPEN)] = Step("opened", "Reopened by {who}")
    t[(REPLY, RESOLVED, OPEN)] = Step("opened", "Reopened by {who}")
    # A reply that leaves the conversation waiting on the customer says so by itself.
    for old in (OPEN, SNOOZED, RESOLVED):
        t[(REPLY, old, PENDING)] = Step(None)
    t[(CUSTOMER, PENDING, OPEN)] = Step(None)
    t[(CUSTOMER, SNOOZED, OPEN)] = Step("woke", "Woke up early: the customer wrote")
    t[(CUSTOMER, RESOLVED, OPEN)] = Step("reopened", "Reopened: the customer wrote again")
    t[(TIMER, SNOOZED, OPEN)] = Step("woke", "Snooze ended")
    t[(AUTO_RESOLVE, PENDING, RESOLVED)] = Step(
        "auto_resolved", "Resolved automatically: no reply from the customer for {days} days")
    # A bot hands over from any state, an open conversation included: it now waits on people.
    for old in (OPEN, PENDING, SNOOZED, RESOLVED):
        t[(HANDOFF, old, OPEN)] = Step("handoff", "{who} handed over: {reason}")
        t[(SPAM_CAUSE, old, SPAM)] = Step("spam", "Marked as spam by {who}")
    t[(SPAM_CAUSE, SPAM, OPEN)] = Step("not_spam", "Marked as not spam by {who}")
    return t


TRANSITIONS = _table()
# Refused on purpose (anything else absent from the table is refused too): a resolved
# conversation is reopened before it waits or sleeps; time and jobs touch only their own states.
REFUSAL_HINTS = {(AGENT, RESOLVED, PENDING): "reopen it first",
                 (AGENT, RESOLVED, SNOOZED): "reopen it first"}


class InvalidTransition(Conflict):
    code = "invalid_transition"

    def __init__(self, cause: str, old: str, new: str) -> None:
        hint = REFUSAL_HINTS.get((cause, old, new))
        super().__init__(f"a {old} conversation cannot be set to {new}" + (f"; {hint}" if hint else ""),
                         {"status": f"cannot go from {old} to {new}"})


# Columns the inbox's views and their counts depend on (services/inbox.py _filters), besides the
# status: the SLA deadlines are left out, as a new deadline is always in the future.
VIEW_COLUMNS = frozenset({"assignee_id", "team_id", "bot_token_id", "priority", "spam_at", "merged_into_id"})


def is_allowed(cause: str, old: str, new: str) -> bool:
    return (cause, old, new) in TRANSITIONS


def change_status(tx: Transaction, conn: Connection, state: Row[Any] | SimpleNamespace, new: str, cause: str, actor: Actor,
                  now: datetime, rules: SlaRules, *, snooze_until: datetime | None = None, days: int | None = None,
                  customer_message: Callable[[], int] | None = None, reason: str = "", text: str = "",
                  also: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Move one conversation to `new` because of `cause`, inside the caller's write.

    `state` is the conversation's row before (common.STATE_COLUMNS). For CUSTOMER,
    `customer_message` writes the message that caused it, after the status event so the
    thread reads in order, and returns its id. `also` are the caller's own column changes
    (last message, preview…), written in the same UPDATE. Returns the columns written, or
    None when nothing changed (an agent setting the status it already has)."""
    old = state.status
    # Staying in the same status is no change, unless the table names it (a bot handing over an open one).
    same = old == new and not (new == SNOOZED and snooze_until != state.snoozed_until) \
        and (cause, old, new) not in TRANSITIONS
    if same and cause in (AGENT, TIMER, AUTO_RESOLVE, HANDOFF) and not also:
        return None
    changes: dict[str, Any] = {"updated_at": now}
    if not same:
        step = TRANSITIONS.get((cause, old, new))
        if step is None:
            raise InvalidTransition(cause, old, new)
        changes.update(status=new, snoozed_until=snooze_until if new == SNOOZED else None)
        if new == RESOLVED:
            changes.update(resolved_at=now, waiting_since=None)  # nobody waits on a resolved conversation
        elif new == SPAM:
            changes.update(spam_at=now, waiting_since=None, resolved_at=None)
        elif old == SPAM:  # back to the team: the customer has waited since their last message
            changes["spam_at"] = None
            changes["waiting_since"] = conn.execute(select(func.max(MESSAGE.c.created_at)).where(
                MESSAGE.c.conversation_id == state.id, MESSAGE.c.direction == "in")).scalar() or now
        elif old == RESOLVED:
            changes["resolved_at"] = None
            if cause == CUSTOMER:
                changes["reopen_count"] = (state.reopen_count or 0) + 1
        event_id = None
        if step.event is not None:
            text = text or step.text.format(who=actor_words(actor), days=days, reason=reason,
                                            until=fmt_time(snooze_until) if snooze_until else "")
            meta: dict[str, Any] = {"event": step.event, "old": old}
            if new == SNOOZED and snooze_until is not None:
                meta["until"] = snooze_until.isoformat()
            if cause == CUSTOMER:
                meta["by"] = "customer"
            elif cause == TIMER:
                meta.update(by="time", until=state.snoozed_until.isoformat() if state.snoozed_until else None)
            elif days is not None:
                meta["days"] = days
            if reason:
                meta["reason"] = reason
            event_id = insert_event(conn, state.id, now, text, actor, **meta)
        audit(conn, now, actor, "conversation.status", state.id, old=old, new=new, cause=cause,
              snooze_until=snooze_until.isoformat() if snooze_until else None,
              **({"days": days} if days is not None else {}))
        record_for_rules(tx, conn, "status_changed", state.id, now, old=old, new=new, cause=cause,
                         via_rules=list(actor.via_rules))
    message_id = None
    if cause == CUSTOMER:
        assert customer_message is not None, "a customer message moves the clocks from that message"
        message_id = customer_message()
        changes["last_message_id"] = message_id
        if state.waiting_since is None or "waiting_since" in changes:
            # Only when it changes: SQLite rewrites an index entry for every column an UPDATE
            # names, and a follow-up leaves the customer waiting since their first unanswered message.
            changes["waiting_since"] = state.waiting_since or now
    changes.update(also or {})
    changes.update(_clocks_after(conn, state, new, cause, now, rules, message_id, event_id if not same else None))
    conn.execute(UPDATE_CONVERSATION, {"b_id": state.id, **changes})
    # views_kept: it is in the same views as before (a customer's follow-up, most often), so the
    # agents' view counts stay as they were: fifty sessions need not count again (ui/workspace).
    kept = old == new and not VIEW_COLUMNS & changes.keys()
    tx.emit(events.CONVERSATION_UPDATED, state.id, status=new, **({"views_kept": True} if kept else {}))
    return changes


def _clocks_after(conn: Connection, state: Row[Any] | SimpleNamespace, new: str, cause: str, now: datetime, rules: SlaRules,
                  message_id: int | None, event_id: int | None) -> dict[str, Any]:
    """The SLA clock columns that change (unchanged indexed columns cost no index writes)."""
    if cause == CUSTOMER and SlaRules.both_running(state):
        return {}  # a follow-up while the team's clocks run (a customer writing in bursts) moves none
    before = Clocks.of(state).values()
    clocks = Clocks(**before)
    if cause == CUSTOMER and getattr(state, "bot_token_id", None):
        return {}  # a bot answers first: the team's clocks start when it hands over
    if (cause == HANDOFF and getattr(state, "bot_token_id", None)) or (cause == SPAM_CAUSE and new == OPEN):
        # The team's clocks start now: a bot handed over, or a message taken for spam was not.
        latest = conn.execute(select(func.max(MESSAGE.c.id)).where(
            MESSAGE.c.conversation_id == state.id, MESSAGE.c.direction == "in")).scalar()
        if latest is not None:
            clocks = rules.customer_wrote(Clocks(**{**before, "response_message_id": None, "resolution_message_id": None}),
                                          latest, replied_before=state.first_reply_at is not None, now=now,
                                          priority=state.priority, team_id=state.team_id)
        return {k: v for k, v in clocks.values().items() if before[k] != v}
    if cause == CUSTOMER:
        assert message_id is not None
        rules.customer_wrote(clocks, message_id, replied_before=state.first_reply_at is not None, now=now,
                             priority=state.priority, team_id=state.team_id)
    elif cause == REPLY:
        rules.replied(clocks, new, now, state.priority, state.team_id)
    else:
        start_id = event_id or conn.execute(select(func.max(MESSAGE.c.id)).where(
            MESSAGE.c.conversation_id == state.id)).scalar()
        rules.status_changed(clocks, new, now, state.priority, start_id=start_id, team_id=state.team_id)
    return {k: v for k, v in clocks.values().items() if before[k] != v}


class StatusMixin(ConversationBase):
    def set_status(self, conversation_id: int, status: str, actor: Actor,
                   snooze_until: datetime | None = None) -> Conversation:
        """Resolve, reopen, set pending or snooze (until a time in the future)."""
        require_role(actor, *TEAM, doing="change a conversation's status")
        if status not in STATUSES:
            raise ValidationFailed("unknown status", {"status": "must be open, pending, snoozed or resolved"})
        if status == SNOOZED:
            if snooze_until is None or snooze_until.tzinfo is None:
                raise ValidationFailed("a snooze needs a time", {"snooze_until": "must be a time with a time zone"})
            if snooze_until <= self.now():
                raise ValidationFailed("a snooze must end in the future", {"snooze_until": "must be in the future"})
        self._apply_status(conversation_id, status, AGENT, actor, snooze_until)
        return self.get_row(conversation_id)

    @writes
    def _apply_status(self, conversation_id: int, status: str, cause: str, actor: Actor,
                      snooze_until: datetime | None = None) -> None:
        with self.db.write() as tx:
            conn = tx.session.connection()
            change_status(tx, conn, load_state(conn, conversation_id), status, cause, actor, self.now(),
                          self.sla.rules(), snooze_until=snooze_until)

    def auto_resolve(self, days: int, actor: Actor | None = None, batch: int = 500) -> list[int]:
        """Resolve conversations waiting on the customer (pending) with no message for `days` days.
        Never one that waits on the team."""
        return self._sweep(PENDING, self.now() - timedelta(days=days), AUTO_RESOLVE, RESOLVED,
                           actor or Actor.system(), batch, days=days)

    def wake_snoozed(self, actor: Actor | None = None, batch: int = 1000) -> list[int]:
        """Open every snoozed conversation whose time has come (the scheduler calls this)."""
        return self._sweep(SNOOZED, self.now(), TIMER, OPEN, actor or Actor.system(), batch)

    @writes
    def _sweep(self, status: str, cutoff: datetime, cause: str, new: str, actor: Actor, batch: int,
               days: int | None = None) -> list[int]:
        C = CONVERSATION
        column = C.c.last_message_at if cause == AUTO_RESOLVE else C.c.snoozed_until
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            due = conn.execute(select(*STATE_COLUMNS).where(C.c.status == status, column <= cutoff)
                               .order_by(C.c.id).limit(batch)).all()
            rules = self.sla.rules()
            for state in due:
                change_status(tx, conn, state, new, cause, actor, now, rules, days=days)
        return [state.id for state in due]
