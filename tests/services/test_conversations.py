from datetime import timedelta

import pytest

from helpdesk import events
from helpdesk.models import EVENT, NOTE
from helpdesk.services.conversations import ConversationFilter, IncomingMessage
from helpdesk.services.errors import NewCustomerMessages, NotFound, ValidationFailed


def receive(services, body="Where is my parcel?", email="carol@example.com", **kw):
    return services.conversations.receive(IncomingMessage(body=body, email=email, **kw))


def events_in(detail):
    return [m.meta["event"] for m in detail.messages if m.kind == EVENT]


def test_a_customer_message_opens_a_conversation_waiting_since_it_arrived(services, clock):
    result = receive(services, subject="Parcel")
    conversation = services.conversations.get(result.conversation_id).conversation
    assert conversation.status == "open"
    assert conversation.waiting_since == clock.now()
    assert conversation.first_reply_at is None
    assert conversation.subject == "Parcel"


def test_follow_ups_join_the_latest_unresolved_conversation_and_keep_the_oldest_wait(services, clock):
    first = receive(services)
    started = clock.now()
    clock.advance(hours=5)
    second = receive(services, body="Any news?")
    assert second.conversation_id == first.conversation_id
    conversation = services.conversations.get(first.conversation_id).conversation
    assert conversation.waiting_since == started  # the oldest unanswered message counts
    assert conversation.last_customer_message_at == clock.now()


def test_a_public_reply_sets_pending_records_first_reply_and_clears_the_wait(services, ann, clock):
    result = receive(services)
    clock.advance(minutes=42)
    services.conversations.reply(result.conversation_id, ann, "It ships today")
    conversation = services.conversations.get(result.conversation_id).conversation
    assert conversation.status == "pending"
    assert conversation.waiting_since is None
    assert conversation.first_reply_at == clock.now()
    clock.advance(hours=1)
    services.conversations.reply(result.conversation_id, ann, "Tracking: 123", then="open")
    conversation = services.conversations.get(result.conversation_id).conversation
    assert conversation.first_reply_at == clock.now() - timedelta(hours=1)  # only the first counts
    assert conversation.status == "open"


def test_reply_and_resolve_then_the_customer_writes_again_on_their_thread(services, ann, clock):
    result = receive(services)
    services.conversations.reply(result.conversation_id, ann, "Done", then="resolved")
    conversation = services.conversations.get(result.conversation_id).conversation
    assert conversation.status == "resolved" and conversation.resolved_at == clock.now()
    clock.advance(days=3)
    again = receive(services, body="It broke again", conversation_id=result.conversation_id)
    detail = services.conversations.get(result.conversation_id)
    assert again.conversation_status == "open"
    assert detail.conversation.reopen_count == 1
    assert detail.conversation.resolved_at is None
    assert detail.conversation.waiting_since == clock.now()
    assert "reopened" in events_in(detail)


def test_without_a_conversation_id_a_resolved_thread_is_left_and_a_new_one_starts(services, ann):
    first = receive(services)
    services.conversations.reply(first.conversation_id, ann, "Done", then="resolved")
    second = receive(services, body="A different question")
    assert second.conversation_id != first.conversation_id
    assert services.conversations.get(first.conversation_id).conversation.status == "resolved"


def test_a_conversation_of_another_customer_is_not_found(services):
    theirs = receive(services, email="other@example.com")
    with pytest.raises(NotFound):
        receive(services, email="me@example.com", conversation_id=theirs.conversation_id)
    with pytest.raises(NotFound):
        receive(services, email="me@example.com", conversation_id=999_999)
    # nothing was written: the customer me@example.com does not exist
    assert services.customers.find_by_identifier("email", "me@example.com") is None


def test_internal_notes_change_nothing_for_the_customer(services, ann, clock):
    result = receive(services)
    waiting = clock.now()
    clock.advance(minutes=10)
    services.conversations.add_note(result.conversation_id, ann, "Called the courier")
    detail = services.conversations.get(result.conversation_id)
    assert detail.conversation.status == "open"
    assert detail.conversation.waiting_since == waiting
    assert detail.conversation.first_reply_at is None
    assert [m.body for m in detail.messages if m.kind == NOTE] == ["Called the courier"]
    public = services.conversations.get(result.conversation_id, public_only=True)
    assert [m.body for m in public.messages] == ["Where is my parcel?"]


def test_snooze_until_a_time_and_a_customer_message_wakes_it_early(services, ann, clock):
    result = receive(services)
    services.conversations.reply(result.conversation_id, ann, "Will check tomorrow", then="open")
    until = clock.now() + timedelta(days=1)
    services.conversations.set_status(result.conversation_id, "snoozed", ann, snooze_until=until)
    conversation = services.conversations.get(result.conversation_id).conversation
    assert conversation.status == "snoozed" and conversation.snoozed_until == until
    clock.advance(hours=2)
    receive(services, body="Actually, urgent!")
    detail = services.conversations.get(result.conversation_id)
    assert detail.conversation.status == "open"
    assert detail.conversation.snoozed_until is None
    assert events_in(detail)[-1] == "woke"
    assert detail.messages[-1].body == "Actually, urgent!"


def test_snoozed_conversations_wake_when_their_time_comes(services, ann, clock):
    result = receive(services)
    until = clock.now() + timedelta(hours=3)
    services.conversations.set_status(result.conversation_id, "snoozed", ann, snooze_until=until)
    clock.advance(hours=2, minutes=59)
    assert services.conversations.wake_snoozed() == []
    clock.advance(minutes=1)
    assert services.conversations.wake_snoozed() == [result.conversation_id]
    assert services.conversations.get(result.conversation_id).conversation.status == "open"


def test_a_snooze_must_end_in_the_future(services, ann, clock):
    result = receive(services)
    with pytest.raises(ValidationFailed) as error:
        services.conversations.set_status(result.conversation_id, "snoozed", ann, snooze_until=clock.now())
    assert "snooze_until" in error.value.fields


def test_assignment_and_transfer_leave_history_in_the_thread(services, ann, bob, clock):
    result = receive(services)
    services.conversations.assign(result.conversation_id, ann.id, ann)
    clock.advance(minutes=5)
    services.conversations.assign(result.conversation_id, bob.id, ann)
    clock.advance(minutes=5)
    services.conversations.assign(result.conversation_id, None, bob)
    detail = services.conversations.get(result.conversation_id)
    texts = [m.body for m in detail.messages if m.kind == EVENT]
    assert texts == ["Ann Agent took this conversation",
                     "Transferred from Ann Agent to Bob Agent by Ann Agent",
                     "Unassigned from Bob Agent by Bob Agent"]
    assert [m.created_at for m in detail.messages if m.kind == EVENT][1] == clock.now() - timedelta(minutes=5)


def test_replying_to_an_unassigned_conversation_takes_it(services, bob):
    result = receive(services)
    services.conversations.reply(result.conversation_id, bob, "On it")
    assert services.conversations.get(result.conversation_id).conversation.assignee_id == bob.id


def test_a_reply_started_before_unseen_customer_messages_asks_for_confirmation(services, ann):
    result = receive(services)
    seen = services.conversations.get(result.conversation_id).messages[-1].id
    receive(services, body="Never mind, it arrived")
    with pytest.raises(NewCustomerMessages) as conflict:
        services.conversations.reply(result.conversation_id, ann, "Let me check", seen_message_id=seen)
    assert conflict.value.count == 1
    assert services.conversations.get(result.conversation_id).conversation.status == "open"  # nothing sent
    services.conversations.reply(result.conversation_id, ann, "Great!", seen_message_id=seen,
                                 confirm_new_messages=True)
    assert services.conversations.get(result.conversation_id).conversation.status == "pending"


def test_tags_and_priority(services, ann):
    result = receive(services)
    assert services.conversations.set_tags(result.conversation_id, ["Shipping", " VIP ", "shipping"], ann) == \
        ["shipping", "vip"]
    assert services.conversations.remove_tag(result.conversation_id, "vip", ann) == ["shipping"]
    services.conversations.set_priority(result.conversation_id, "urgent", ann)
    page = services.conversations.list(ConversationFilter(tag="shipping", priority="urgent"))
    assert [c.id for c in page.conversations] == [result.conversation_id]
    with pytest.raises(ValidationFailed):
        services.conversations.set_priority(result.conversation_id, "whenever", ann)


def test_events_are_published_after_commit_and_not_for_rejected_writes(services, app):
    seen = []
    app.bus.subscribe(seen.append, types={events.CONVERSATION_CREATED, events.MESSAGE_CREATED,
                                          events.CONVERSATION_UPDATED})
    result = receive(services)
    assert [e.type for e in seen] == [events.CONVERSATION_CREATED, events.MESSAGE_CREATED,
                                      events.CONVERSATION_UPDATED]
    assert all(e.conversation_id == result.conversation_id for e in seen)
    seen.clear()
    with pytest.raises(NotFound):
        receive(services, email="x@example.com", conversation_id=result.conversation_id)
    assert seen == []


def test_a_subscriber_sees_the_committed_row(services, app):
    found = []
    app.bus.subscribe(lambda e: found.append(services.conversations.get(e.conversation_id).conversation.status),
                      types={events.MESSAGE_CREATED})
    receive(services)
    assert found == ["open"]


def test_listing_pages_by_key_without_gaps_or_repeats(services):
    ids = [receive(services, email=f"c{i}@example.com").conversation_id for i in range(7)]
    page1 = services.conversations.list(ConversationFilter(), limit=3)
    page2 = services.conversations.list(ConversationFilter(), limit=3, before_id=page1.next_cursor)
    page3 = services.conversations.list(ConversationFilter(), limit=3, before_id=page2.next_cursor)
    got = [c.id for p in (page1, page2, page3) for c in p.conversations]
    assert got == sorted(ids, reverse=True)
    assert page3.next_cursor is None
