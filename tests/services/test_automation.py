"""Automation rules on a moved clock: triggers, conditions, actions, order and once-only, business
hours and overnight catch-up, the loop guards, rules with auto-resolve."""

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from helpdesk.models import OPEN, PENDING, RESOLVED, SNOOZED
from helpdesk.services.calendar import BusinessCalendar
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.errors import ValidationFailed
from tests.services import test_mail
from tests.services.test_mail import mail, take

BERLIN = ZoneInfo("Europe/Berlin")
box = test_mail.box  # the mail tests' mailbox fixture


def berlin(*args):
    return datetime(*args, tzinfo=BERLIN).astimezone(timezone.utc)


@pytest.fixture
def shop(services, ann):
    services.sla.set_calendar(BusinessCalendar.office("Europe/Berlin"), ann)
    services.promise.set_team_name("Larsen Bikes", ann)
    return services


def receive(services, body="Where is my order?", email="carol@example.com", **kw):
    return services.conversations.receive(IncomingMessage(body=body, email=email, name="Carol Customer", **kw))


def run(services):
    services.automation.scan()
    return services.automation.process_all()


def rule(services, actor, trigger="conversation_created", conditions=(), actions=(), match="all", **kw):
    return services.automation.create({"title": kw.pop("title", f"Rule {trigger}"), "trigger": trigger,
                                       "conditions": {"match": match, "items": list(conditions)},
                                       "actions": list(actions) or [{"type": "add_tags", "tags": ["seen"]}],
                                       "enabled": True, **kw}, actor)


def thread(services, cid):
    return [m for m in services.conversations.get(cid).messages]


def public_out(services, cid):
    return [m for m in thread(services, cid) if m.direction == "out" and m.kind == "reply"]


def events(services, cid):
    return [m.body for m in thread(services, cid) if m.kind == "event"]


def test_the_ready_made_rules_are_offered_off_and_named_for_the_command_line(services):
    rules = {r.name: r for r in services.automation.rules()}
    assert set(rules) == {"auto-acknowledge", "out-of-hours", "follow-up", "round-robin"}
    assert not any(r.enabled for r in rules.values())
    receive(services)
    run(services)
    assert services.automation.history(rules["auto-acknowledge"].id) == []


def test_auto_acknowledge_promises_the_reply_time_and_leaves_the_conversation_waiting_on_the_team(shop, clock, ann):
    clock.set(berlin(2026, 3, 10, 10, 0))  # a Tuesday, in business hours
    shop.automation.set_enabled("auto-acknowledge", True, ann)
    result = receive(shop)
    assert run(shop) >= 1
    detail = shop.conversations.get(result.conversation_id)
    replies = public_out(shop, result.conversation_id)
    assert len(replies) == 1
    assert replies[0].body == ("Thanks, we've got your message. We usually reply within 4 business hours — "
                               "by 14:00 today (CET).")
    assert detail.author_name(replies[0]) == "Rule 'Auto-acknowledge'"
    assert "Rule 'Auto-acknowledge' replied" in events(shop, result.conversation_id)
    c = detail.conversation
    assert (c.status, c.first_reply_at, c.waiting_since) == (OPEN, None, berlin(2026, 3, 10, 10, 0))
    assert c.response_due_at == berlin(2026, 3, 10, 14, 0)  # the clock still runs
    assert c.last_message_preview == "Where is my order?"  # the inbox still shows the customer's words


def test_at_22_00_the_acknowledgement_names_the_next_opening(shop, clock, ann):
    clock.set(berlin(2026, 3, 10, 22, 0))
    shop.automation.set_enabled("auto-acknowledge", True, ann)
    cid = receive(shop).conversation_id
    run(shop)
    [reply] = public_out(shop, cid)
    assert reply.body == ("Thanks, we've got your message. We're closed now and back tomorrow 09:00 (CET). "
                          "We usually reply within 4 business hours — by tomorrow 13:00 (CET).")


def test_out_of_hours_runs_first_and_one_automatic_reply_is_all_a_conversation_gets(shop, clock, ann):
    for name in ("out-of-hours", "auto-acknowledge"):
        shop.automation.set_enabled(name, True, ann)
    clock.set(berlin(2026, 3, 13, 19, 0))  # Friday evening
    cid = receive(shop).conversation_id
    run(shop)
    [reply] = public_out(shop, cid)
    assert reply.body.startswith("Hi Carol, thanks for your message. We're closed right now and back Mon 16 Mar, "
                                 "09:00 (CET); we'll answer you then.")
    assert any("Rule 'Auto-acknowledge' did not reply: this conversation had an automatic reply in the last 24 hours"
               in e for e in events(shop, cid))
    clock.set(berlin(2026, 3, 16, 10, 0))  # in hours: only auto-acknowledge, and not to the same conversation
    receive(shop, body="Hello?")
    run(shop)
    assert len(public_out(shop, cid)) == 1


def test_rules_run_in_order_and_each_once_per_event(services, ann):
    first = rule(services, ann, title="First", actions=[{"type": "priority", "value": "high"}])
    second = rule(services, ann, title="Second", conditions=[{"field": "priority", "op": "is", "value": "high"}],
                  actions=[{"type": "add_tags", "tags": ["vip"]}])
    cid = receive(services).conversation_id
    run(services)
    run(services)  # nothing left to do twice
    detail = services.conversations.get(cid)
    assert detail.conversation.priority == "high" and detail.tags == ["vip"]
    assert [len(services.automation.history(r.id)) for r in (first, second)] == [1, 1]
    services.automation.move(second.id, -10, ann)  # now Second runs before First has raised the priority
    cid2 = receive(services, email="dan@example.com").conversation_id
    run(services)
    assert services.conversations.get(cid2).tags == []


def test_a_failing_rule_is_shown_failing_and_the_rules_after_it_still_run(services, ann):
    broken = rule(services, ann, title="Canned", actions=[{"type": "reply", "canned": "Gone"}])
    rule(services, ann, title="Tagger", actions=[{"type": "add_tags", "tags": ["new"]}])
    cid = receive(services).conversation_id
    run(services)
    broken = services.automation.get(broken.name)
    assert broken.last_outcome == "failed" and "no canned reply called 'Gone'" in broken.last_error
    assert services.conversations.get(cid).tags == ["new"]
    assert public_out(services, cid) == []  # nothing of the failed rule was kept
    assert any(e.startswith("Rule 'Canned' failed:") for e in events(services, cid))
    services.canned.create("Gone", "Back again, {{customer.first_name}}", ann)
    receive(services, email="dan@example.com")
    run(services)
    assert services.automation.get(broken.name).last_error == ""  # works again


def test_conditions(shop, clock, ann):
    clock.set(berlin(2026, 3, 10, 10, 0))
    checks = {
        "refund": [{"field": "text", "op": "contains", "value": "REFUND"}],
        "not-refund": [{"field": "text", "op": "not_contains", "value": "refund"}],
        "order-number": [{"field": "subject", "op": "matches", "value": r"order \d{4}"}],
        "domain": [{"field": "customer_domain", "op": "is", "value": "bigco.example"}],
        "api": [{"field": "channel", "op": "is", "value": "api"}],
        "inside": [{"field": "business_hours", "op": "is", "value": "inside"}],
        "second": [{"field": "message", "op": "is", "value": "follow_up"}],
        "unassigned": [{"field": "assignee", "op": "is", "value": "nobody"}],
        "vip-customer": [{"field": "customer_tag", "op": "has", "value": "vip"}],
    }
    for name, conditions in checks.items():
        rule(shop, ann, trigger="customer_message", title=name, conditions=conditions,
             actions=[{"type": "add_tags", "tags": [name]}])
    a = receive(shop, body="I want a refund", subject="Order 1042", email="ann@bigco.example").conversation_id
    run(shop)
    assert set(shop.conversations.get(a).tags) == {"refund", "order-number", "domain", "api", "inside", "unassigned"}
    shop.conversations.set_tags(a, ["vip"], ann)
    shop.conversations.assign(a, ann.id, ann)
    clock.set(berlin(2026, 3, 10, 20, 0))
    receive(shop, body="Thanks!", email="ann@bigco.example", conversation_id=a)
    b = receive(shop, body="hello", email="zed@example.com", channel="web").conversation_id
    run(shop)
    assert set(shop.conversations.get(a).tags) == {"vip", "not-refund", "order-number", "domain", "api", "second",
                                                       "vip-customer"}
    assert set(shop.conversations.get(b).tags) == {"not-refund", "unassigned"}


def test_any_of_the_conditions(services, ann):
    rule(services, ann, match="any", conditions=[{"field": "text", "op": "contains", "value": "broken"},
                                                 {"field": "text", "op": "contains", "value": "damaged"}],
         actions=[{"type": "priority", "value": "urgent"}])
    a = receive(services, body="It arrived damaged").conversation_id
    b = receive(services, body="Where is it?", email="dan@example.com").conversation_id
    run(services)
    assert [services.conversations.get(c).conversation.priority for c in (a, b)] == ["urgent", "normal"]


def test_triggers_reply_status_and_breach(shop, clock, ann):
    clock.set(berlin(2026, 3, 10, 9, 0))
    rule(shop, ann, trigger="agent_replied", title="Replied", actions=[{"type": "add_tags", "tags": ["answered"]}])
    rule(shop, ann, trigger="status_changed", title="Resolved",
         conditions=[{"field": "status", "op": "is", "value": "resolved"}],
         actions=[{"type": "add_tags", "tags": ["done"]}])
    rule(shop, ann, trigger="sla_breached", title="Late", actions=[{"type": "priority", "value": "urgent"}])
    rule(shop, ann, trigger="sla_at_risk", title="Risk", actions=[{"type": "add_tags", "tags": ["at risk"]}])
    late = receive(shop).conversation_id
    answered = receive(shop, email="dan@example.com").conversation_id
    clock.advance(hours=1)
    shop.conversations.reply(answered, ann, "On its way", then=RESOLVED)
    run(shop)
    assert set(shop.conversations.get(answered).tags) == {"answered", "done"}
    clock.set(berlin(2026, 3, 10, 12, 12))  # 80 % of 4 hours
    run(shop)
    assert shop.conversations.get(late).tags == ["at risk"]
    clock.set(berlin(2026, 3, 10, 13, 0))
    shop.sla.scan()
    run(shop)
    assert shop.conversations.get(late).conversation.priority == "urgent"


def test_waited_on_the_team_catches_up_after_a_night_off_once(shop, clock, ann):
    rule(shop, ann, trigger="waited_on_team", hours=2, title="Waiting",
         actions=[{"type": "notify", "body": "Carol has waited 2 hours"}, {"type": "add_tags", "tags": ["waiting"]}])
    clock.set(berlin(2026, 3, 10, 16, 0))
    cid = receive(shop).conversation_id
    seen = []
    shop.events.subscribe(lambda e: seen.append(e.data.get("text")), {"automation.notify"})
    clock.set(berlin(2026, 3, 11, 8, 0))  # the PC was off all night: the scan at start catches up
    run(shop)
    run(shop)
    assert shop.conversations.get(cid).tags == ["waiting"]
    assert seen == ["Carol has waited 2 hours"]
    [run_] = shop.automation.history(shop.automation.get("waiting").id)
    assert run_.outcome == "done"


def test_a_rules_own_actions_never_set_it_off_again(services, ann):
    # Each time the status changes, this rule changes it again: without the guard it would never stop.
    rule(services, ann, trigger="status_changed", title="Ping", actions=[{"type": "snooze", "hours": 1}])
    rule(services, ann, trigger="status_changed", title="Pong", conditions=[
        {"field": "status", "op": "is", "value": "snoozed"}], actions=[{"type": "resolve"}])
    cid = receive(services).conversation_id
    services.conversations.set_status(cid, PENDING, ann)
    assert run(services) < 10
    c = services.conversations.get(cid).conversation
    # Ping snoozed it after the agent's change and Pong, seeing it snoozed, resolved it; Ping's own snooze
    # set off Pong only, and Pong's resolve set off Ping only (who had nothing to snooze): then quiet.
    assert c.status == RESOLVED
    ping = services.automation.history(services.automation.get("ping").id)
    pong = services.automation.history(services.automation.get("pong").id)
    assert [r.outcome for r in reversed(ping)] == ["done", "skipped"]
    assert [r.outcome for r in pong] == ["done"]
    assert services.automation.pending_events() == 0


def test_automatic_mail_never_answers_automatic_mail(services, box, ann):
    rule(services, ann, trigger="customer_message", title="Thanks", actions=[{"type": "reply", "body": "Thanks!"}])
    services.automation.set_limits(1, 50, ann)
    first = take(services, box, mail())
    run(services)
    cid = first.conversation_id
    assert [m.body for m in public_out(services, cid)] == ["Thanks!"]
    # Our automatic reply leaves marked as one, so the customer's mail system does not answer it.
    [due] = services.deliveries.due("email")
    out = services.mail.outgoing.compose(due)
    assert out.automatic and out.in_reply_to == "<m1@example.com>"
    # Their out-of-office answers it: it joins the thread, and nothing answers it back.
    took = take(services, box, mail(body="I am away until Monday", message_id="<ooo@example.com>",
                                    extra="In-Reply-To: <m1@example.com>\r\nAuto-Submitted: auto-replied\r\n",
                                    subject="Re: Wrong size"))
    assert took.status == "automatic" and took.conversation_id == cid
    run(services)
    assert [m.body for m in public_out(services, cid)] == ["Thanks!"]
    # A mailing list's mail is taken in as a message, but rules never answer it either.
    services.conversations.set_status(cid, RESOLVED, ann)
    listed = take(services, box, mail(body="Our newsletter", message_id="<list@example.com>",
                                      extra="List-Id: <news.example.com>\r\n", subject="News"))
    run(services)
    assert public_out(services, listed.conversation_id) == []
    assert any("did not reply: the customer's message was automatic (it came from a mailing list)" in e
               for e in events(services, listed.conversation_id))


def test_the_customer_cap_holds_across_conversations(services, ann, clock):
    rule(services, ann, title="Thanks", actions=[{"type": "reply", "body": "Thanks for writing"}])
    replied = []
    for i in range(5):
        cid = receive(services, body=f"Question {i}").conversation_id
        services.conversations.set_status(cid, RESOLVED, ann)
        run(services)
        replied.append(len(public_out(services, cid)))
        clock.advance(minutes=10)
    assert replied == [1, 1, 1, 0, 0]  # three a day, then none
    clock.advance(hours=24)
    cid = receive(services, body="Next day").conversation_id
    run(services)
    assert len(public_out(services, cid)) == 1


def test_follow_up_before_auto_resolve(shop, clock, ann):
    shop.automation.set_enabled("follow-up", True, ann)
    clock.set(berlin(2026, 3, 10, 10, 0))
    cid = receive(shop).conversation_id
    shop.conversations.reply(cid, ann, "Can you send a photo of the label?")  # pending on the customer
    clock.advance(hours=71)
    run(shop)
    assert len(public_out(shop, cid)) == 1
    clock.advance(hours=2)
    run(shop)
    replies = public_out(shop, cid)
    assert len(replies) == 2 and replies[-1].body.startswith("Hi Carol, just checking in")
    assert shop.conversations.get(cid).conversation.status == PENDING
    clock.advance(days=3)
    run(shop)
    assert len(public_out(shop, cid)) == 2  # once per wait
    assert shop.conversations.auto_resolve(10) == []  # 10 days from the agent's reply, not from the follow-up
    clock.set(berlin(2026, 3, 20, 10, 0))
    assert shop.conversations.auto_resolve(10) == [cid]
    run(shop)
    assert len(public_out(shop, cid)) == 2


def test_automatic_replies_are_no_response_in_reports(shop, clock, ann):
    clock.set(berlin(2026, 3, 10, 10, 0))
    rule(shop, ann, trigger="customer_message", title="Got it", actions=[{"type": "reply", "body": "Got it!"}])
    shop.automation.set_limits(1, 10, ann)
    cid = receive(shop).conversation_id
    run(shop)
    clock.advance(hours=2)
    shop.conversations.reply(cid, ann, "Here you go")
    clock.advance(minutes=30)
    receive(shop, body="Thanks, one more thing")
    run(shop)
    assert [m.body for m in public_out(shop, cid)] == ["Got it!", "Here you go", "Got it!"]
    clock.advance(hours=1)
    shop.conversations.reply(cid, ann, "Sure")
    summary = shop.reports.summary(date(2026, 3, 10), date(2026, 3, 10))
    assert summary.first_response.median_seconds == 2 * 3600
    assert summary.next_response.median_seconds == 3600  # not 0: "Got it!" answered nothing
    assert [a.first_response.median_seconds for a in summary.agents] == [2 * 3600]


def test_snooze_until_the_next_opening_and_assign_to_a_person(shop, clock, ann, bob):
    clock.set(berlin(2026, 3, 10, 20, 0))
    rule(shop, ann, title="Night", conditions=[{"field": "business_hours", "op": "is", "value": "outside"}],
         actions=[{"type": "assign", "to": "bob@shop.example"}, {"type": "snooze", "until": "next_opening"},
                  {"type": "note", "body": "Came in at night; {{agent.name}} has it"}])
    cid = receive(shop).conversation_id
    run(shop)
    detail = shop.conversations.get(cid)
    assert detail.conversation.status == SNOOZED
    assert detail.conversation.snoozed_until == berlin(2026, 3, 11, 9, 0)
    assert detail.assignee.name == "Bob Agent"
    notes = [m for m in detail.messages if m.kind == "note"]
    assert [n.body for n in notes] == ["Came in at night; Bob Agent has it"]
    assert "Assigned to Bob Agent by Rule 'Night'" in events(shop, cid)


def test_a_rule_is_checked_before_it_is_saved(services, ann):
    with pytest.raises(ValidationFailed) as refused:
        services.automation.create({"title": "", "trigger": "sometimes", "actions": [{"type": "explode"}],
                                    "conditions": [{"field": "text", "op": "matches", "value": "("}]}, ann)
    assert set(refused.value.fields) == {"title", "trigger", "actions[0].type", "conditions.items[0].value"}
    with pytest.raises(ValidationFailed) as refused:
        services.automation.create({"title": "Wait", "trigger": "waited_on_customer", "actions": [{"type": "resolve"}]},
                                   ann)
    assert set(refused.value.fields) == {"hours"}


def test_a_fresh_shop_turns_on_two_ready_made_rules_and_a_late_customer_is_looked_after(shop, clock, ann, bob, box):
    """The issue's 'done when': auto-acknowledge and round-robin on; a customer writes at 22:00 by mail."""
    for name in ("auto-acknowledge", "round-robin"):
        shop.automation.set_enabled(name, True, ann)
    clock.set(berlin(2026, 3, 10, 22, 0))
    first = take(shop, box, mail(body="My brake squeaks", message_id="<late@example.com>"))
    run(shop)
    detail = shop.conversations.get(first.conversation_id)
    [reply] = public_out(shop, first.conversation_id)
    assert "We're closed now and back tomorrow 09:00 (CET)" in reply.body
    assert detail.assignee is not None and detail.conversation.status == OPEN
    [due] = shop.deliveries.due("email")
    assert shop.mail.outgoing.compose(due).automatic  # it leaves marked Auto-Submitted
    took = take(shop, box, mail(body="Out of office", message_id="<ooo2@example.com>",
                                extra="In-Reply-To: <late@example.com>\r\nAuto-Submitted: auto-replied\r\n"))
    second = take(shop, box, mail(body="Another thing", message_id="<late2@example.com>", subject="Lights"))
    run(shop)
    assert took.status == "automatic"
    assert len(public_out(shop, first.conversation_id)) == 1  # nothing answered the auto-reply
    other = shop.conversations.get(second.conversation_id)
    assert other.assignee is not None and other.assignee.id != detail.assignee.id  # the next agent in turn


def test_old_handled_events_are_dropped_but_waits_stay_once(shop, clock, ann):
    shop.automation.set_enabled("follow-up", True, ann)
    rule(shop, ann, trigger="customer_message", title="Tag it")
    cid = receive(shop).conversation_id
    shop.conversations.reply(cid, ann, "Could you send a photo?")
    clock.advance(hours=73)
    run(shop)
    assert len(public_out(shop, cid)) == 2  # the follow-up
    clock.advance(days=31)
    assert shop.automation.forget_handled(30) == 1  # the message, handled long ago
    assert shop.automation.pending_events() == 0
    run(shop)  # the wait's event is kept: the scan does not see it as new
    assert len(public_out(shop, cid)) == 2


def test_only_what_an_enabled_rule_reacts_to_is_kept_for_the_rules(services, ann):
    receive(services)  # no rule is on: nothing waits for a pass
    assert services.automation.pending_events() == 0
    created = rule(services, ann, trigger="conversation_created", title="New")
    follow_up = receive(services).conversation_id  # the same open conversation: not a created one
    assert services.automation.pending_events() == 0
    fresh = receive(services, email="dan@example.com").conversation_id
    assert services.automation.pending_events() == 1
    assert run(services) == 1
    assert [r.conversation_id for r in services.automation.history(created.id)] == [fresh]
    assert follow_up != fresh


def test_a_payment_arriving_and_a_customers_choice_set_rules_off(shop, ann):
    rule(shop, ann, trigger="payment_paid", title="Paid", actions=[
        {"type": "add_tags", "tags": ["paid"]}, {"type": "resolve"}])
    rule(shop, ann, trigger="customer_message", title="Wants a person",
         conditions=[{"field": "choice", "op": "is", "value": "Talk to a person"}],
         actions=[{"type": "priority", "value": "high"}])
    shop.payments.ways.set_bank(ann, "Larsen Bikes", "DE89370400440532013000")
    booked = receive(shop, body="Can I book the brake service?").conversation_id
    card = shop.payments.request(booked, ann, "49.90", "EUR", "Brake service")
    run(shop)
    assert shop.conversations.get(booked).tags == []  # asked, not paid: nothing yet
    shop.payments.mark_paid(card.id, ann)
    run(shop)
    detail = shop.conversations.get(booked)
    assert detail.tags == ["paid"] and detail.conversation.status == "resolved"

    rule(shop, ann, trigger="conversation_created", title="Menu", actions=[
        {"type": "reply", "body": "Which do you need?", "choices": ["Track my order", "Talk to a person"]}])
    asking = receive(shop, body="Where is my order?", email="dan@example.com").conversation_id
    run(shop)
    assert public_out(shop, asking)[-1].meta["choices"] == ["Track my order", "Talk to a person"]
    receive(shop, body="1", email="dan@example.com")
    run(shop)
    assert shop.conversations.get(asking).conversation.priority == "normal"  # "1" is the other choice
    receive(shop, body="talk to a person", email="dan@example.com")
    run(shop)
    assert shop.conversations.get(asking).conversation.priority == "high"
