"""Merging two conversations of one customer: everything moves, the thread says so, and
the merged one's links still lead to the kept one."""

from __future__ import annotations

import pytest

from helpdesk.models import EVENT, REPLY
from helpdesk.services.conversations import ConversationFilter, IncomingMessage
from helpdesk.services.errors import Conflict, ValidationFailed


def ask(services, body, subject, email="carol@example.com", **kw):
    return services.conversations.receive(IncomingMessage(body=body, email=email, subject=subject, **kw))


def test_merging_moves_messages_notes_and_tags_and_keeps_the_customer_waiting(services, ann):
    old = ask(services, "Where is order 1001?", "Order 1001")
    services.conversations.reply(old.conversation_id, ann, "It ships today.")
    services.conversations.update(old.conversation_id, ann, tags=["shipping"])
    services.conversations.add_note(old.conversation_id, ann, "Carrier is DHL")
    services.conversations.set_status(old.conversation_id, "resolved", ann)
    second = ask(services, "Can I change the colour of order 1001?", "Colour")  # a new conversation
    assert second.conversation_id != old.conversation_id

    services.conversations.merge(second.conversation_id, old.conversation_id, ann)

    kept = services.conversations.get(old.conversation_id)
    bodies = [m.body for m in kept.messages if m.kind == REPLY]
    assert bodies[-1] == "Can I change the colour of order 1001?" and "Where is order 1001?" in bodies
    assert any(m.kind == EVENT and f"merged #{second.conversation_id}" in m.body for m in kept.messages)
    assert "Carrier is DHL" in [m.body for m in kept.messages]
    assert kept.tags == ["shipping"]
    # The customer who wrote in the merged one is still waiting, now here.
    assert kept.conversation.status == "open" and kept.conversation.waiting_since is not None
    assert kept.conversation.last_message_preview == "Can I change the colour of order 1001?"

    merged = services.conversations.get_row(second.conversation_id)
    assert merged.status == "resolved" and merged.merged_into_id == old.conversation_id
    listed = [c.id for c in services.conversations.list(ConversationFilter()).conversations]
    assert second.conversation_id not in listed and old.conversation_id in listed
    # Its customer link shows the kept thread, and a reply there lands in it.
    page = services.conversations.get_by_token(merged.public_token)
    assert page.conversation.id == old.conversation_id
    answer = services.conversations.receive_from_link(merged.public_token, "Blue please")
    assert answer.conversation_id == old.conversation_id
    # An integration that still holds the old id reaches the kept conversation too.
    late = ask(services, "And a gift wrap?", "", conversation_id=second.conversation_id)
    assert late.conversation_id == old.conversation_id


def test_only_one_customers_conversations_merge_and_only_once(services, ann):
    carol = ask(services, "Hello", "A")
    dave = ask(services, "Hi", "B", email="dave@example.com")
    with pytest.raises(Conflict, match="one customer"):
        services.conversations.merge(dave.conversation_id, carol.conversation_id, ann)
    with pytest.raises(ValidationFailed):
        services.conversations.merge(carol.conversation_id, carol.conversation_id, ann)
    services.conversations.set_status(carol.conversation_id, "resolved", ann)
    again = ask(services, "Me again", "C")
    services.conversations.merge(again.conversation_id, carol.conversation_id, ann)
    with pytest.raises(Conflict, match="already merged"):
        services.conversations.merge(again.conversation_id, carol.conversation_id, ann)


def test_the_api_merges_with_the_reply_scope(client, services, ann):
    from helpdesk.services.base import Actor

    bot = services.tokens.create("bot", actor=Actor.system(), scopes=["read", "reply"]).plaintext
    reader = services.tokens.create("reader", actor=Actor.system(), scopes=["read"]).plaintext
    first = ask(services, "One", "One")
    services.conversations.set_status(first.conversation_id, "resolved", ann)
    second = ask(services, "Two", "Two")
    url = f"/api/v1/conversations/{second.conversation_id}/merge"
    assert client.post(url, json={"into": first.conversation_id},
                       headers={"Authorization": f"Bearer {reader}"}).status_code == 403
    response = client.post(url, json={"into": first.conversation_id}, headers={"Authorization": f"Bearer {bot}"})
    assert response.status_code == 200, response.text
    assert response.json()["id"] == first.conversation_id
    assert [m["body"] for m in response.json()["messages"]] == ["One", "Two"]
    merged = client.get(f"/api/v1/conversations/{second.conversation_id}", headers={"Authorization": f"Bearer {bot}"})
    assert merged.json()["merged_into"] == first.conversation_id
