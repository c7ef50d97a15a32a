"""The conversation state machine: every (cause, from, to) there is, allowed or refused,
and the same bookkeeping whichever path a change takes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from helpdesk.models import EVENT, OPEN, PENDING, RESOLVED, SNOOZED, STATUSES, AuditEntry, Message
from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage, InvalidTransition
from helpdesk.services.conversations.common import load_state
from helpdesk.services.conversations.status import CAUSES, CUSTOMER, TRANSITIONS, change_status


def conversation_in(services, ann, clock, status: str) -> int:
    """A conversation that has reached `status` the way it does in a shop."""
    cid = services.conversations.receive(IncomingMessage(body="Hello?", email="carol@example.com")).conversation_id
    if status == PENDING:
        services.conversations.reply(cid, ann, "We're on it")
    elif status == SNOOZED:
        services.conversations.set_status(cid, SNOOZED, ann, clock.now() + timedelta(hours=2))
    elif status == RESOLVED:
        services.conversations.set_status(cid, RESOLVED, ann)
    return cid


def thread_and_audit(services, cid: int) -> tuple[int, int]:
    with services.db.read() as s:
        messages = len(s.exec(select(Message).where(Message.conversation_id == cid)).all())
        audits = len(s.exec(select(AuditEntry).where(AuditEntry.conversation_id == cid)).all())
    return messages, audits


@pytest.mark.parametrize("cause", [c for c in CAUSES if c != CUSTOMER])
@pytest.mark.parametrize("old", STATUSES)
@pytest.mark.parametrize("new", STATUSES)
def test_every_transition_is_applied_or_refused_as_the_table_says(services, ann, clock, cause, old, new):
    cid = conversation_in(services, ann, clock, old)
    clock.advance(hours=3)  # past the snooze, so time may wake it
    before = thread_and_audit(services, cid)
    until = clock.now() + timedelta(days=1) if new == SNOOZED else None

    def attempt() -> None:
        with services.db.write() as tx:
            conn = tx.session.connection()
            change_status(tx, conn, load_state(conn, cid), new, cause, ann, clock.now(), services.sla.rules(),
                          snooze_until=until, days=10)

    step = TRANSITIONS.get((cause, old, new))
    same = old == new and new != SNOOZED and step is None
    if step is None and not same:
        with pytest.raises(InvalidTransition):
            services.db.on_writer(attempt)
        assert services.conversations.get_row(cid).status == old
        assert thread_and_audit(services, cid) == before  # a refused change writes nothing
        return
    services.db.on_writer(attempt)
    conversation = services.conversations.get_row(cid)
    assert conversation.status == new
    messages, audits = thread_and_audit(services, cid)
    if same:
        assert (messages, audits) == before
        return
    assert audits == before[1] + 1, "every status change leaves one audit row"
    assert messages == before[0] + (1 if step.event else 0)
    if step.event:
        last = services.conversations.get(cid).messages[-1]
        assert last.kind == EVENT and last.meta["event"] == step.event
    if new == RESOLVED:
        assert conversation.resolved_at == clock.now() and conversation.waiting_since is None
        assert conversation.response_due_at is None and conversation.resolution_due_at is None
    if new == SNOOZED:
        assert conversation.snoozed_until == until
    else:
        assert conversation.snoozed_until is None


@pytest.mark.parametrize("old", STATUSES)
def test_a_customer_message_opens_every_status_and_says_how(services, ann, clock, old):
    cid = conversation_in(services, ann, clock, old)
    reopens = services.conversations.get_row(cid).reopen_count
    clock.advance(minutes=5)
    result = services.conversations.receive(IncomingMessage(body="Me again", email="carol@example.com",
                                                            conversation_id=cid))
    detail = services.conversations.get(cid)
    assert result.conversation_status == OPEN and detail.conversation.status == OPEN
    assert detail.messages[-1].body == "Me again"  # the status event comes before the message it follows
    expected = {OPEN: None, PENDING: None, SNOOZED: "woke", RESOLVED: "reopened"}[old]
    events = [m.meta["event"] for m in detail.messages if m.kind == EVENT and m.created_at == clock.now()]
    assert events == ([expected] if expected else [])
    assert detail.conversation.reopen_count == reopens + (1 if old == RESOLVED else 0)
    assert detail.conversation.waiting_since is not None
    assert detail.conversation.response_due_at is not None or not services.sla.policies()


def test_waking_a_snoozed_conversation_is_audited_like_every_other_change(services, ann, clock):
    """The drift the status machine ended: the snooze job wrote no audit row."""
    cid = conversation_in(services, ann, clock, SNOOZED)
    clock.advance(hours=3)
    assert services.conversations.wake_snoozed() == [cid]
    with services.db.read() as s:
        audit = s.exec(select(AuditEntry).where(AuditEntry.conversation_id == cid)
                       .order_by(AuditEntry.id.desc())).first()  # type: ignore[union-attr]
    assert audit.action == "conversation.status" and audit.detail["cause"] == "timer"
    assert audit.detail["old"] == SNOOZED and audit.detail["new"] == OPEN


def test_refusals_reach_people_as_clear_words(services, ann, clock):
    cid = conversation_in(services, ann, clock, RESOLVED)
    with pytest.raises(InvalidTransition, match="reopen it first"):
        services.conversations.set_status(cid, SNOOZED, ann, clock.now() + timedelta(hours=1))
    with pytest.raises(InvalidTransition, match="reopen it first"):
        services.conversations.set_status(cid, PENDING, ann)


def test_time_and_jobs_touch_only_their_own_states(services, ann, clock):
    open_one = conversation_in(services, ann, clock, OPEN)
    pending_one = services.conversations.receive(IncomingMessage(body="Hi", email="dan@example.com")).conversation_id
    services.conversations.reply(pending_one, ann, "Any update from you?")
    clock.advance(days=11)
    assert services.conversations.auto_resolve(10) == [pending_one]  # never the one waiting on the team
    assert services.conversations.get_row(open_one).status == OPEN
    assert services.conversations.wake_snoozed() == []


def test_the_system_actor_is_named_in_the_thread(services, ann, clock):
    cid = conversation_in(services, ann, clock, PENDING)
    clock.advance(days=11)
    services.conversations.auto_resolve(10, actor=Actor.system())
    assert services.conversations.get(cid).messages[-1].body == \
        "Resolved automatically: no reply from the customer for 10 days"
