"""Assignment by rules that respects people: round-robin and least-busy skip whoever is away (by
choice or outside their hours), keep to a cap, and leave a returning customer with the same person."""

from collections import Counter
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from helpdesk.models import RESOLVED
from helpdesk.services.base import Actor
from helpdesk.services.calendar import BusinessCalendar
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.errors import Forbidden

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def team(services, ann, bob):
    cy = services.agents.create("cy@shop.example", "Cy Agent", "cy password", actor=Actor.system())
    return [ann, bob, Actor.for_agent(cy)]


def receive(services, i, **kw):
    return services.conversations.receive(IncomingMessage(body=f"Question {i}", email=f"c{i}@example.com", **kw))


def assignee(services, cid):
    return services.conversations.get(cid).conversation.assignee_id


@pytest.mark.slow
def test_round_robin_is_fair_over_a_thousand_conversations_with_agents_going_away_and_back(services, team, clock):
    ann, bob, cy = team
    services.automation.set_enabled("round-robin", True, ann)
    counts: Counter = Counter()
    for i in range(1000):
        if i % 100 == 0:  # someone steps away for a spell, then comes back
            who = team[(i // 100) % 3]
            services.agents.set_away(who.id, True, who)
        if i % 100 == 30:
            services.agents.set_away(who.id, False, who)
        cid = receive(services, i).conversation_id
        services.automation.process_all()
        got = assignee(services, cid)
        assert got is not None
        agent = services.agents.get(got)
        assert not agent.away  # never someone who is away
        counts[got] += 1
        clock.advance(seconds=30)
    assert sum(counts.values()) == 1000
    # Each was away for 30 of the 1,000 on three or four spells and shares the rest evenly.
    assert max(counts.values()) - min(counts.values()) <= 60, counts
    assert all(300 <= n <= 370 for n in counts.values()), counts


def test_the_assignee_stays_when_the_customer_comes_back_even_while_away(services, team):
    ann, bob, cy = team
    services.automation.set_enabled("round-robin", True, ann)
    cid = receive(services, 1).conversation_id
    services.automation.process_all()
    first = assignee(services, cid)
    services.conversations.set_status(cid, RESOLVED, ann)
    services.agents.set_away(first, True, Actor.system())
    receive(services, 1)  # days later, the same customer: the thread reopens with the same person
    services.automation.process_all()
    assert assignee(services, cid) == first


def test_nobody_available_leaves_it_unassigned_and_says_why(services, team):
    ann = team[0]
    services.automation.set_enabled("round-robin", True, ann)
    for who in team:
        services.agents.set_away(who.id, True, who)
    cid = receive(services, 1).conversation_id
    services.automation.process_all()
    assert assignee(services, cid) is None
    [ran] = services.automation.history(services.automation.get("round-robin").id)
    assert ran.outcome == "skipped" and "no agent is available" in ran.detail


def test_outside_their_hours_an_agent_counts_as_away(services, team, clock):
    ann, bob, cy = team
    services.sla.set_calendar(BusinessCalendar.office("Europe/Berlin"), ann)
    for who in team:
        services.agents.set_hours(who.id, {"shop": True}, who)
    services.agents.set_hours(cy.id, BusinessCalendar.office("Europe/Berlin", days=(0, 1, 2, 3, 4, 5, 6),
                                                             start=datetime.min.time(),
                                                             end=datetime.max.time()).to_json(), cy)
    services.automation.set_enabled("round-robin", True, ann)
    clock.set(datetime(2026, 3, 10, 22, 0, tzinfo=BERLIN).astimezone(timezone.utc))
    night = [receive(services, i).conversation_id for i in range(3)]
    services.automation.process_all()
    assert {assignee(services, c) for c in night} == {cy.id}  # only Cy works nights
    clock.set(datetime(2026, 3, 11, 10, 0, tzinfo=BERLIN).astimezone(timezone.utc))
    day = [receive(services, i).conversation_id for i in range(10, 13)]
    services.automation.process_all()
    assert {assignee(services, c) for c in day} == {ann.id, bob.id, cy.id}


def test_least_busy_and_a_cap(services, team):
    ann, bob, cy = team
    for i in range(3):
        services.conversations.assign(receive(services, 100 + i).conversation_id, ann.id, ann)
    services.conversations.assign(receive(services, 200).conversation_id, bob.id, ann)
    services.automation.create({"title": "Busy", "trigger": "conversation_created", "enabled": True,
                                "actions": [{"type": "assign", "to": "least_busy", "cap": 3,
                                             "agents": ["ann@shop.example", "bob@shop.example"]}]}, ann)
    services.automation.process_all()  # the conversations above were assigned by hand already
    got = []
    for i in range(4):
        cid = receive(services, i).conversation_id
        services.automation.process_all()
        got.append(assignee(services, cid))
    # Bob has 1 open, Ann 3 (at the cap): Bob, Bob, then nobody under the cap; Cy was not chosen.
    assert got == [bob.id, bob.id, None, None]


def test_only_oneself_or_an_admin_sets_someone_away(services, team):
    ann, bob, cy = team
    with pytest.raises(Forbidden):
        services.agents.set_away(cy.id, True, bob)
    assert services.agents.set_away(bob.id, True, bob).away
    assert not services.agents.set_away(bob.id, False, ann).away
