"""Who may do what, checked in the services themselves (whatever adapter calls them):
each admin-only write and each conversation action, called as every role."""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpdesk.services.base import ADMIN, AGENT, BOT, CUSTOMER, INTEGRATION, SYSTEM, Actor
from helpdesk.services.calendar import BusinessCalendar
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.errors import Forbidden

ROLES = (ADMIN, AGENT, BOT, INTEGRATION, CUSTOMER, SYSTEM)


@pytest.fixture
def actors(services):
    admin = services.agents.create("owner@shop.example", "Olive Owner", "owner-password", role="admin",
                                   actor=Actor.system())
    agent = services.agents.create("agent@shop.example", "Andy Agent", "agent-password", actor=Actor.system())
    return {ADMIN: Actor.for_agent(admin), AGENT: Actor.for_agent(agent),
            BOT: Actor(BOT, 7, "Order bot", frozenset({"reply"})), INTEGRATION: Actor(INTEGRATION, 8, "Website"),
            CUSTOMER: Actor.customer(1), SYSTEM: Actor.system()}


def admin_writes(services, clock):
    """Every admin-only write, as a call taking the actor."""
    hook = {}

    def webhook(actor):
        hook["id"] = services.outbox.create_webhook("https://crm.example/hook", ["message.created"], "", actor).id

    def with_hook(fn):
        def call(actor):
            if "id" not in hook:
                webhook(Actor.system())
            return fn(hook["id"], actor)
        return call

    counter = iter(range(1000))
    return {
        "add an agent": lambda a: services.agents.create(f"new{next(counter)}@shop.example", "New", "new-password",
                                                         actor=a),
        "create an API token": lambda a: services.tokens.create("website", actor=a),
        "revoke an API token": lambda a: services.tokens.revoke(
            services.tokens.create("x", actor=Actor.system()).token.id, actor=a),
        "set a response target": lambda a: services.sla.set_policy("urgent", 30, 60, 240, True, a),
        "set business hours": lambda a: services.sla.set_calendar(BusinessCalendar.always(), a),
        "add a webhook": webhook,
        "edit a webhook": with_hook(lambda i, a: services.outbox.update_webhook(i, "https://crm.example/2",
                                                                                ["message.created"], "", a)),
        "disable a webhook": with_hook(lambda i, a: services.outbox.set_active(i, False, a)),
        "send a test webhook": with_hook(lambda i, a: services.outbox.send_test(i, a)),
        "add a canned reply": lambda a: services.canned.create(f"Reply {next(counter)}", "Hi!", a),
        "run a job by hand": lambda a: services.jobs.run_now("purge_sessions", a),
        "add a rule": lambda a: services.automation.create(
            {"title": f"Rule {next(counter)}", "trigger": "customer_message", "actions": [{"type": "resolve"}]}, a),
        "change a rule": lambda a: services.automation.update(services.automation.get("follow-up").id, {
            "title": "Follow-up", "trigger": "waited_on_customer", "hours": 48, "actions": [{"type": "resolve"}]}, a),
        "turn a rule on": lambda a: services.automation.set_enabled("round-robin", True, a),
        "reorder rules": lambda a: services.automation.move(services.automation.get("round-robin").id, 1, a),
        "set automation limits": lambda a: services.automation.set_limits(12, 2, a),
        "import rules": lambda a: services.automation.import_rules(services.automation.export(), a),
        "delete a rule": lambda a: services.automation.delete(services.automation.create(
            {"title": f"Gone {next(counter)}", "trigger": "customer_message", "actions": [{"type": "resolve"}]},
            Actor.system()).id, a),
    }


@pytest.mark.parametrize("role", ROLES)
def test_admin_only_writes_refuse_everyone_but_admins_and_the_system(services, clock, actors, role):
    for name, write in admin_writes(services, clock).items():
        if role in (ADMIN, SYSTEM):
            write(actors[role])
        else:
            with pytest.raises(Forbidden):
                write(actors[role])
                pytest.fail(f"{role} could {name}")


@pytest.mark.parametrize("role", ROLES)
def test_conversation_work_is_for_the_team(services, clock, actors, role):
    cid = services.conversations.receive(IncomingMessage(body="Hello", email="carol@example.com")).conversation_id
    actions = {
        "reply": lambda a: services.conversations.reply(cid, a, "Hi Carol", then="open"),
        "note": lambda a: services.conversations.add_note(cid, a, "Regular customer"),
        "assign": lambda a: services.conversations.assign(cid, actors[AGENT].id, a),
        "priority": lambda a: services.conversations.set_priority(cid, "high", a),
        "tag": lambda a: services.conversations.add_tag(cid, "vip", a),
        "snooze": lambda a: services.conversations.set_status(cid, "snoozed", a, clock.now() + timedelta(hours=1)),
        "reopen": lambda a: services.conversations.set_status(cid, "open", a),
    }
    for name, action in actions.items():
        if role in (ADMIN, AGENT, BOT, SYSTEM):
            action(actors[role])
        else:
            with pytest.raises(Forbidden):
                action(actors[role])
                pytest.fail(f"{role} could {name}")


def test_an_agent_changes_their_own_password_but_nobody_elses(services, actors):
    agent = actors[AGENT]
    services.agents.reset_password(agent.id, "my-new-password", agent)
    with pytest.raises(Forbidden):
        services.agents.reset_password(actors[ADMIN].id, "taken-over!", agent)
    services.agents.reset_password(agent.id, "set-by-the-owner", actors[ADMIN])
    assert services.agents.authenticate("agent@shop.example", "set-by-the-owner") is not None
