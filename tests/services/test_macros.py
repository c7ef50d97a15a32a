"""Macros as a shop uses them: "Bike ready for pick-up" sends the canned reply with the
customer's name filled in, tags and resolves in one go, and the thread says which macro did
it; a refused action changes nothing; an agent's own macros are theirs alone."""

from __future__ import annotations

import pytest

from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.errors import Forbidden, NotFound, ValidationFailed

READY = [{"type": "reply", "canned": "Ready"}, {"type": "add_tags", "tags": ["Pick-up"]},
         {"type": "status", "value": "resolved"}]


@pytest.fixture
def conversation(services):
    return services.conversations.receive(IncomingMessage(body="Is my bike done?", email="gia@example.com",
                                                          name="Gia Rossi")).conversation_id


def thread(services, cid):
    return [(m.kind, m.body) for m in services.conversations.get(cid).messages]


def test_a_macro_replies_tags_and_resolves_in_one_go_and_the_thread_says_so(services, ann, bob, conversation):
    services.canned.create("Ready", "Hi {{customer.first_name}}, your bike is ready for pick-up!", ann)
    macro = services.macros.create("Bike ready for pick-up", READY, ann)
    done = services.macros.run(macro.id, conversation, bob)
    assert done.did == ["tags", "reply", "resolved"]
    detail = services.conversations.get(conversation)
    assert detail.conversation.status == "resolved" and detail.tags == ["pick-up"]
    assert thread(services, conversation)[1:] == [
        ("event", "Macro 'Bike ready for pick-up' by Bob Agent"),
        ("reply", "Hi Gia, your bike is ready for pick-up!"),
        ("event", "Bob Agent took this conversation by replying"),
        ("event", "Resolved by Bob Agent")]
    assert detail.conversation.assignee_id == bob.id  # replying took it, as a reply does


def test_a_refused_action_changes_nothing(services, ann, conversation):
    macro = services.macros.create("To the workshop", [{"type": "team", "team": "Workshop"},
                                                       {"type": "priority", "value": "high"}], ann)
    with pytest.raises(ValidationFailed) as refused:
        services.macros.run(macro.id, conversation, ann)
    assert refused.value.fields == {"team": "no team is called Workshop (teams: none yet)"}
    row = services.conversations.get_row(conversation)
    assert (row.priority, len(thread(services, conversation))) == ("normal", 1)


def test_macros_are_checked_when_saved(services, ann):
    with pytest.raises(ValidationFailed) as bad:
        services.macros.create("", [{"type": "explode"}, {"type": "priority", "value": "very"},
                                    {"type": "snooze", "hours": 0}, {"type": "reply"}], ann)
    assert bad.value.fields == {
        "name": "must be 1 to 80 characters", "actions[0].type": "must be one of " + ", ".join(
            ["reply", "note", "add_tags", "priority", "team", "assign", "status", "snooze"]),
        "actions[1].value": "must be urgent, high, normal or low", "actions[2].hours": "must be a number of hours "
        "from 1 to 2160", "actions[3].body": "must be 1 to 20000 characters (or name a canned reply)"}
    with pytest.raises(ValidationFailed) as both:
        services.macros.create("Later", [{"type": "status", "value": "pending"}, {"type": "snooze", "hours": 24}], ann)
    assert both.value.fields == {"actions": "a macro snoozes or sets a status, not both"}


def test_an_agents_own_macro_is_theirs_alone_and_shared_ones_are_the_admins(services, ann, bob, conversation):
    with pytest.raises(Forbidden):
        services.macros.create("Shared by Bob", [{"type": "note", "body": "x"}], bob)
    own = services.macros.create("My check", [{"type": "note", "body": "Checked the {{conversation.link}}"},
                                              {"type": "snooze", "hours": 24}], bob, shared=False)
    assert [m.name for m in services.macros.visible_to(bob)] == ["My check"]
    assert services.macros.visible_to(ann) == []
    with pytest.raises(NotFound):
        services.macros.run(own.id, conversation, ann)
    done = services.macros.run(own.id, conversation, bob)
    assert done.did == ["note", "snoozed"] and services.conversations.get_row(conversation).status == "snoozed"
    token = services.tokens.create("bot", actor=Actor.system(), scopes=["read", "reply"]).token
    assert services.macros.visible_to(Actor.for_token(token)) == []  # a token sees the shared ones only
