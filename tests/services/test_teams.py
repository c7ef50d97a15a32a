"""Teams as a shop uses them: a Workshop and a Sales desk, each with its own queue; new
conversations from a mailbox, a phone, a chat site or an intake token land in their team's
Unassigned queue; a move to another team says so in the thread; rules assign within a team."""

from __future__ import annotations

import pytest

from helpdesk.services.base import Actor
from helpdesk.services.conversations import ConversationFilter, IncomingMessage
from helpdesk.services.errors import Forbidden, NotFound, ValidationFailed
from helpdesk.services.inbox import InboxQuery
from helpdesk.services.messaging.intake import IncomingText


@pytest.fixture
def tom(services):
    return Actor.for_agent(services.agents.create("tom@shop.example", "Tom Mechanic", "tom's password",
                                                  actor=Actor.system()))


@pytest.fixture
def workshop(services, ann, bob, tom):
    return services.teams.create("Workshop", ["tom@shop.example", "bob@shop.example"], ann, lead="tom@shop.example")


def receive(services, email):
    return services.conversations.receive(IncomingMessage(body="My brakes squeal", email=email))


def bodies(services, conversation_id):
    return [m.body for m in services.conversations.get(conversation_id).messages]


def test_an_admin_makes_a_team_and_names_are_checked(services, ann, bob, tom, workshop):
    assert (workshop.name, workshop.lead.name) == ("Workshop", "Tom Mechanic")
    assert [m.name for m in workshop.members] == ["Bob Agent", "Tom Mechanic"]
    with pytest.raises(Forbidden):
        services.teams.create("Sales", [], bob)
    with pytest.raises(ValidationFailed) as taken:
        services.teams.create("  workshop ", [], ann)
    assert taken.value.fields == {"name": "a team called Workshop exists already"}
    with pytest.raises(ValidationFailed) as unknown:
        services.teams.create("Sales", ["nobody@shop.example"], ann, lead="ghost@shop.example")
    assert unknown.value.fields == {"members": "no active agent has the email nobody@shop.example",
                                    "lead": "no active agent has the email ghost@shop.example"}

    sales = services.teams.change(workshop.id, ann, name="Sales desk", members=["ann@shop.example"], lead=None)
    assert (sales.name, sales.lead, [m.email for m in sales.members]) == ("Sales desk", None, ["ann@shop.example"])
    assert [t.name for t in services.teams.of_agent(ann.id)] == ["Sales desk"]


def test_new_conversations_land_in_their_sources_team_and_stay_there(services, ann, workshop):
    token = services.tokens.create("Website form", actor=ann)
    services.teams.send_new_conversations("token", token.token.id, "workshop", ann)
    actor = Actor.for_token(token.token)
    first = services.conversations.receive(IncomingMessage(body="Brakes squeal", email="gia@example.com"), actor=actor)
    assert services.conversations.get_row(first.conversation_id).team_id == workshop.id
    # Moved to no team by an agent: the customer's next message keeps it where the agent put it.
    services.conversations.set_team(first.conversation_id, None, ann)
    again = services.conversations.receive(IncomingMessage(body="Still squealing", email="gia@example.com"),
                                           actor=actor)
    assert again.conversation_id == first.conversation_id
    assert services.conversations.get_row(first.conversation_id).team_id is None

    phone = services.messaging.channels.add("sms-gateway", "Phone", {"url": "http://sms:pass@192.168.1.50:8080"}, ann)
    services.teams.send_new_conversations("channel", phone.id, "Workshop", ann)
    text = services.messaging.intake.receive(IncomingText(channel_id=phone.id, kind="sms", key="t:1",
                                                          body="Is my bike ready?", phone="+15550100777"))
    assert services.conversations.get_row(text.conversation_id).team_id == workshop.id

    with pytest.raises(ValidationFailed) as unknown:
        services.teams.send_new_conversations("mailbox", 1, "Gardening", ann)
    assert unknown.value.fields == {"team": "no team is called Gardening (teams: Workshop)"}


def test_a_move_to_a_team_says_so_and_an_assignee_outside_it_lets_go(services, ann, bob, tom, workshop):
    sales = services.teams.create("Sales", ["ann@shop.example"], ann)
    cid = receive(services, "gia@example.com").conversation_id
    services.conversations.assign(cid, ann.id, ann)
    services.conversations.set_team(cid, workshop.id, ann)
    row = services.conversations.get_row(cid)
    assert (row.team_id, row.assignee_id) == (workshop.id, None)  # Ann is not in the Workshop
    assert bodies(services, cid)[-2:] == ["Moved to Workshop by Ann Agent", "Unassigned from Ann Agent by Ann Agent"]

    services.conversations.assign(cid, bob.id, ann)
    services.conversations.update(cid, ann, team="sales")
    assert services.conversations.get_row(cid).assignee_id is None
    assert "Moved from Workshop to Sales by Ann Agent" in bodies(services, cid)
    with pytest.raises(ValidationFailed) as unknown:
        services.conversations.update(cid, ann, team="Gardening", priority="high")
    assert unknown.value.fields == {"team": "no team is called Gardening (teams: Sales, Workshop)"}
    assert services.conversations.get_row(cid).priority == "normal"  # nothing changed
    services.teams.remove(sales.id, ann)
    assert services.conversations.get_row(cid).team_id is None
    with pytest.raises(NotFound):
        services.teams.get(sales.id)


def test_each_team_has_its_own_queue_and_counts(services, ann, bob, tom, workshop):
    ours = [receive(services, f"w{i}@example.com").conversation_id for i in range(3)]
    other = receive(services, "s@example.com").conversation_id
    for cid in ours:
        services.conversations.set_team(cid, workshop.id, ann)
    services.conversations.assign(ours[0], tom.id, ann)

    def ids(view, team_id=None):
        return {r.id for r in services.inbox.page(InboxQuery(view=view, team_id=team_id), ann.id).rows}

    assert ids("unassigned", workshop.id) == set(ours[1:])
    assert ids("all", workshop.id) == set(ours) and ids("all") == {*ours, other}
    counts = services.inbox.counts(InboxQuery(team_id=workshop.id), ann.id, shared=True)
    assert (counts["all"], counts["unassigned"]) == (3, 2)
    assert {r.team_name for r in services.inbox.page(InboxQuery(view="all"), ann.id).rows} == {"Workshop", None}
    listed = services.conversations.list(ConversationFilter(team_id=workshop.id)).conversations
    assert {c.id for c in listed} == set(ours)


def test_a_rule_assigns_in_turn_within_the_team_only(services, ann, bob, tom, workshop):
    token = services.tokens.create("Workshop form", actor=ann)
    services.teams.send_new_conversations("token", token.token.id, "Workshop", ann)
    services.automation.create({
        "title": "Workshop round-robin", "trigger": "conversation_created", "enabled": True,
        "conditions": {"match": "all", "items": [{"field": "team", "op": "is", "value": "Workshop"}]},
        "actions": [{"type": "assign", "to": "round_robin", "team": "Workshop"}]}, ann)
    actor = Actor.for_token(token.token)
    got = [services.conversations.receive(IncomingMessage(body=f"Job {i}", email=f"j{i}@example.com"),
                                          actor=actor).conversation_id for i in range(4)]
    outside = receive(services, "walk-in@example.com").conversation_id  # no team: the rule does not apply
    services.automation.scan()
    services.automation.process_all()
    assignees = [services.conversations.get_row(cid).assignee_id for cid in got]
    assert set(assignees) == {bob.id, tom.id} and assignees[0] != assignees[1]  # in turn, Ann never
    assert services.conversations.get_row(outside).assignee_id is None


def test_a_rule_moves_a_conversation_into_a_team_and_says_so(services, ann, bob, tom, workshop):
    services.automation.create({
        "title": "Brakes to the workshop", "trigger": "conversation_created", "enabled": True,
        "conditions": {"match": "all", "items": [{"field": "text", "op": "contains", "value": "brake"}]},
        "actions": [{"type": "assign", "to": "least_busy", "team": "workshop"}]}, ann)
    cid = receive(services, "gia@example.com").conversation_id
    services.automation.scan()
    services.automation.process_all()
    row = services.conversations.get_row(cid)
    assert row.team_id == workshop.id and row.assignee_id in {bob.id, tom.id}
    assert any(b.startswith("Moved to Workshop by Rule 'Brakes to the workshop'") for b in bodies(services, cid))
