import pytest

from helpdesk import events
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.errors import Conflict


def conversation(services, name="Carol Jones"):
    return services.conversations.receive(IncomingMessage(body="hi", email="cj@example.com", name=name))


def test_a_draft_saved_on_one_device_is_there_on_another(services, ann, bob, app):
    result = conversation(services)
    seen = []
    app.bus.subscribe(seen.append, types={events.DRAFT_SAVED})
    services.drafts.save(ann.id, result.conversation_id, "Dear Carol, about your", seen_message_id=1)
    services.drafts.save(ann.id, result.conversation_id, "Dear Carol, about your order")
    draft = services.drafts.get(ann.id, result.conversation_id)
    assert draft.body == "Dear Carol, about your order"
    assert draft.seen_message_id == 1  # kept from the first save
    assert services.drafts.get(bob.id, result.conversation_id) is None  # drafts are per agent
    assert [e.data["body"] for e in seen] == ["Dear Carol, about your", "Dear Carol, about your order"]


def test_sending_the_reply_clears_the_draft(services, ann):
    result = conversation(services)
    services.drafts.save(ann.id, result.conversation_id, "Draft text")
    services.conversations.reply(result.conversation_id, ann, "Draft text")
    assert services.drafts.get(ann.id, result.conversation_id) is None


def test_an_emptied_draft_is_discarded(services, ann):
    result = conversation(services)
    services.drafts.save(ann.id, result.conversation_id, "x")
    services.drafts.save(ann.id, result.conversation_id, "   ")
    assert services.drafts.get(ann.id, result.conversation_id) is None


def test_where_the_agent_was_is_remembered(services, ann):
    result = conversation(services)
    services.drafts.set_location(ann.id, result.conversation_id)
    assert services.drafts.location(ann.id) == result.conversation_id


def test_canned_replies_fill_their_variables(services, ann):
    result = conversation(services, name="Carol Jones")
    canned = services.canned.create("Hello", "Hi {{customer.first_name}} ({{ customer.name }}), "
                                             "{{agent.name}} here. {{conversation.link}} {{unknown.var}}", ann)
    text = services.canned.render(canned.body, result.conversation_id, ann.id)
    assert text == (f"Hi Carol (Carol Jones), Ann Agent here. http://shop.test/c/{result.public_token} "
                    "{{unknown.var}}")


def test_a_missing_name_renders_as_a_friendly_word(services, ann):
    result = services.conversations.receive(IncomingMessage(body="hi", phone="+15550111"))
    assert services.canned.render("Hi {{customer.first_name}}!", result.conversation_id, ann.id) == \
        "Hi there!"


def test_canned_reply_titles_are_unique(services, ann):
    services.canned.create("Thanks", "Thank you!", ann)
    with pytest.raises(Conflict):
        services.canned.create("Thanks", "Another", ann)
    assert [c.title for c in services.canned.list()] == ["Thanks"]


def test_agents_sign_in_with_argon2_hashed_passwords(services, ann):
    from helpdesk.models import Agent
    with services.db.read() as s:
        stored = s.get(Agent, ann.id).password_hash
    assert stored.startswith("$argon2")
    assert services.agents.authenticate("ANN@shop.example", "correct horse").id == ann.id
    assert services.agents.authenticate("ann@shop.example", "wrong") is None
    assert services.agents.authenticate("nobody@shop.example", "correct horse") is None


def test_an_agents_own_canned_replies_are_theirs_alone(services, ann, bob):
    from helpdesk.services.conversations import IncomingMessage
    from helpdesk.services.errors import Forbidden, NotFound, ValidationFailed

    services.canned.create("Opening hours", "We open at nine.", ann)
    with pytest.raises(Forbidden):
        services.canned.create("Bob's shared", "x", bob)  # the team's are the admins'
    mine = services.canned.create("Bob's greeting", "Hey {{customer.first_name}}!", bob, private=True)
    assert [c.title for c in services.canned.list(bob)] == ["Bob's greeting", "Opening hours"]
    assert [c.title for c in services.canned.list(ann)] == ["Opening hours"]  # not even an admin sees it
    with pytest.raises(Forbidden):
        services.canned.update(mine.id, "Mine now", "x", ann)
    services.canned.update(mine.id, "Bob's hello", "Hello {{customer.first_name}}!", bob)
    # A shared macro naming it does not reveal it to someone else who runs it.
    macro = services.macros.create("Greet", [{"type": "reply", "canned": "Bob's hello"}], ann)
    cid = services.conversations.receive(IncomingMessage(body="Hi", email="gia@example.com", name="Gia")).conversation_id
    with pytest.raises(ValidationFailed) as refused:
        services.macros.run(macro.id, cid, ann)
    assert refused.value.fields == {"reply": "no canned reply is called Bob's hello"}
    assert services.macros.run(macro.id, cid, bob).did == ["reply"]
    services.canned.delete(mine.id, bob)
    with pytest.raises(NotFound):
        services.canned.delete(mine.id, bob)
