"""Mentions as a team uses them: "@Tom" in a note asks Tom without moving the conversation; a
team's name asks each member; the mention waits until Tom opens the conversation or writes in
it; webhooks and the events API hear of it; an email inside a sentence is not a mention."""

from __future__ import annotations

import pytest

from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.mentions import named_in


@pytest.fixture
def tom(services):
    return Actor.for_agent(services.agents.create("tom@shop.example", "Tom Mechanic", "tom's password",
                                                  actor=Actor.system()))


@pytest.fixture
def conversation(services):
    return services.conversations.receive(IncomingMessage(body="My brakes squeal", email="gia@example.com",
                                                          name="Gia Rossi")).conversation_id


def test_a_note_asks_a_colleague_who_sees_it_until_they_open_the_conversation(services, ann, bob, tom,
                                                                             conversation):
    seen = []
    services.events.subscribe(seen.append, {"mention.created", "mentions.read"})
    services.conversations.add_note(conversation, ann, "@Tom can you check the pads? Bob, no need.")
    assert services.mentions.unread_count(tom.id) == 1 and services.mentions.unread_count(bob.id) == 0
    [mention] = services.mentions.of_agent(tom.id)
    assert (mention.by, mention.customer, mention.read) == ("Ann Agent", "Gia Rossi", False)
    assert mention.body.startswith("@Tom can you check")
    assert services.conversations.get_row(conversation).assignee_id is None  # asked, not assigned
    assert [(e.type, e.data.get("agent_ids")) for e in seen] == [("mention.created", [tom.id])]

    services.conversations.mark_read(conversation, tom.id)
    assert services.mentions.unread_count(tom.id) == 0 and services.mentions.of_agent(tom.id)[0].read
    assert seen[-1].type == "mentions.read" and seen[-1].data == {"agent_id": tom.id}


def test_writing_in_the_thread_answers_a_mention_and_a_team_asks_each_member(services, ann, bob, tom,
                                                                            conversation):
    services.teams.create("Workshop", ["tom@shop.example", "bob@shop.example"], ann)
    services.conversations.add_note(conversation, ann, "@workshop who can take this today?")
    assert (services.mentions.unread_count(tom.id), services.mentions.unread_count(bob.id)) == (1, 1)
    services.conversations.add_note(conversation, bob, "I can, after lunch.")
    assert (services.mentions.unread_count(tom.id), services.mentions.unread_count(bob.id)) == (1, 0)
    services.conversations.reply(conversation, tom, "We will look at your brakes this afternoon.")
    assert services.mentions.unread_count(tom.id) == 0


def test_webhooks_and_the_events_api_hear_of_a_mention(services, ann, tom, conversation):
    start = services.outbox.last_event_number()
    services.conversations.add_note(conversation, ann, "Over to you, @tom@shop.example!")
    [event] = [e for e in services.outbox.events_after(start, 50) if e.type == "note.mention"]
    assert event.payload["mentioned"] == ["tom@shop.example"] and event.payload["conversation_id"] == conversation
    assert event.payload["author"]["name"] == "Ann Agent" and event.payload["body"] == "Over to you, @tom@shop.example!"


def test_what_counts_as_a_mention(services, ann, bob, tom):
    services.agents.create("tina@shop.example", "Tom Other", "tina's password", actor=Actor.system())
    with services.db.read() as s:
        conn = s.connection()
        assert named_in(conn, "write to tom@shop.example about it").agents == {}  # an address, not a mention
        assert named_in(conn, "@Tom, the pads").agents == {}  # two Toms: a first name alone names nobody
        assert set(named_in(conn, "@Tom Mechanic and @bob agent").agents) == {tom.id, bob.id}
        assert named_in(conn, "@Tommy?").agents == {}  # a word that only starts like a name
        assert named_in(conn, "(@Ann Agent)").people == ["Ann Agent"]


def test_the_mentions_view_lists_where_an_agent_was_named_and_counts_what_is_unread(services, ann, tom,
                                                                                   conversation):
    from helpdesk.services.inbox import InboxQuery

    other = services.conversations.receive(IncomingMessage(body="Wheel truing?", email="hal@example.com"))
    services.conversations.add_note(conversation, ann, "@Tom Mechanic the pads?")
    services.conversations.set_status(conversation, "resolved", ann)  # any status: still his to read
    assert [r.id for r in services.inbox.page(InboxQuery(view="mentions"), tom.id).rows] == [conversation]
    assert services.inbox.counts(InboxQuery(), tom.id, shared=True)["mentions"] == 1
    assert services.inbox.counts(InboxQuery(), ann.id, shared=True)["mentions"] == 0  # each agent's own
    services.conversations.mark_read(conversation, tom.id)
    assert services.inbox.counts(InboxQuery(), tom.id, shared=True)["mentions"] == 0
    assert other.conversation_id not in [r.id for r in services.inbox.page(InboxQuery(view="mentions"), tom.id).rows]
