"""Reading the open conversation again after a live event: only what is new is read, and the
result is what a whole read gives (new messages, notes and events, the current delivery of
earlier replies, tags and status), also when another conversation was merged into it."""

from __future__ import annotations

from helpdesk.services.conversations import IncomingMessage


def same_as_a_whole_read(services, refreshed) -> None:
    whole = services.conversations.get(refreshed.conversation.id)
    assert [(m.id, m.kind, m.body) for m in refreshed.messages] == [(m.id, m.kind, m.body) for m in whole.messages]
    assert refreshed.deliveries == whole.deliveries and refreshed.attachments == whole.attachments
    assert refreshed.tags == whole.tags and refreshed.conversation.status == whole.conversation.status
    assert set(refreshed.agents) == set(whole.agents) and refreshed.assignee == whole.assignee


def test_a_refresh_adds_what_is_new_and_keeps_the_rest(services, ann, bob):
    first = services.conversations.receive(IncomingMessage(body="Where is order 1234?", email="gia@example.com"))
    services.conversations.reply(first.conversation_id, ann, "Looking into it.", then="open")
    before = services.conversations.get(first.conversation_id)

    services.conversations.receive(IncomingMessage(body="It is a present", email="gia@example.com",
                                                   conversation_id=first.conversation_id))
    services.conversations.add_note(first.conversation_id, bob, "Courier says Friday")
    services.conversations.reply(first.conversation_id, bob, "It arrives Friday.", then="pending")
    refreshed = services.conversations.refresh(before)
    assert [m.body for m in refreshed.messages[-3:]] == ["It is a present", "Courier says Friday", "It arrives Friday."]
    assert refreshed.conversation.status == "pending"
    same_as_a_whole_read(services, refreshed)
    assert services.conversations.refresh(refreshed).messages == refreshed.messages  # nothing new: nothing added


def test_after_a_merge_the_refresh_has_the_merged_messages_too(services, ann):
    older = services.conversations.receive(IncomingMessage(body="My parcel is late", email="hal@example.com"))
    services.conversations.set_status(older.conversation_id, "resolved", ann)
    newer = services.conversations.receive(IncomingMessage(body="Still late!", email="hal@example.com"))
    assert newer.conversation_id != older.conversation_id
    before = services.conversations.get(newer.conversation_id)
    services.conversations.merge(older.conversation_id, newer.conversation_id, ann)
    refreshed = services.conversations.refresh(before)
    assert "My parcel is late" in [m.body for m in refreshed.messages]  # older ids than the last one read
    same_as_a_whole_read(services, refreshed)
