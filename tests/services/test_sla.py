"""SLA clocks on a moving clock: business hours in Berlin, Monday to Friday 9:00-17:00."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from helpdesk.services.calendar import BusinessCalendar
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.inbox import InboxQuery

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args):
    return datetime(*args, tzinfo=BERLIN).astimezone(timezone.utc)


@pytest.fixture
def office(services, ann):
    services.sla.set_calendar(BusinessCalendar.office("Europe/Berlin"), ann)
    # normal priority: first response 4 h, next response 8 h, resolution 40 h, in business hours
    return services


def receive(services, body="Help!", email="c@example.com", **kw):
    return services.conversations.receive(IncomingMessage(body=body, email=email, **kw))


def breaches(services, cid):
    return [(b.target, b.due_at) for b in services.sla.breaches(cid)]


def test_first_response_breach_exactly_at_its_due_time_across_a_weekend(office, clock):
    clock.set(berlin(2026, 3, 6, 15, 0))  # Friday 15:00: 2 h today, 2 h on Monday
    cid = receive(office).conversation_id
    due = berlin(2026, 3, 9, 11, 0)
    assert office.conversations.get(cid).conversation.response_due_at == due
    clock.set(due - timedelta(seconds=1))
    assert office.sla.scan() == []
    clock.set(due)
    assert office.sla.scan() == [(cid, "first_response", due)]
    assert breaches(office, cid) == [("first_response", due)]


def test_next_response_breach_after_a_second_customer_message(office, clock, ann):
    clock.set(berlin(2026, 3, 10, 9, 0))  # Tuesday
    cid = receive(office).conversation_id
    clock.advance(hours=1)
    office.conversations.reply(cid, ann, "Looking into it")  # first response in time
    clock.advance(hours=1)
    receive(office, body="Any news?")  # 11:00 -> next response due 8 business hours later
    due = berlin(2026, 3, 11, 11, 0)
    assert office.conversations.get(cid).conversation.response_due_at == due
    clock.set(due)
    assert office.sla.scan() == [(cid, "next_response", due)]


def test_clocks_stop_while_pending_or_snoozed(office, clock, ann):
    clock.set(berlin(2026, 3, 10, 9, 0))
    cid = receive(office).conversation_id
    clock.advance(hours=1)  # 1 h of the 4 h used
    office.conversations.set_status(cid, "pending", ann)
    c = office.conversations.get(cid).conversation
    assert c.response_due_at is None and c.response_elapsed == 3600
    clock.advance(hours=5)  # paused: nothing is counted
    office.conversations.set_status(cid, "snoozed", ann, snooze_until=clock.now() + timedelta(hours=12))
    clock.advance(hours=20)  # Wednesday 11:00: long past the first-response target in wall time
    assert office.sla.scan() == []
    assert office.conversations.wake_snoozed() == [cid]  # resumes with 3 h of the 4 h left
    assert office.conversations.get(cid).conversation.response_due_at == berlin(2026, 3, 11, 14, 0)


def test_a_breach_is_recorded_once_however_often_the_scan_runs(office, clock):
    clock.set(berlin(2026, 3, 10, 9, 0))
    cid = receive(office).conversation_id
    clock.advance(hours=5)
    assert len(office.sla.scan()) == 1
    for _ in range(5):
        clock.advance(minutes=1)
        assert office.sla.scan() == []
    assert len(breaches(office, cid)) == 1
    events = [m.body for m in office.conversations.get(cid).messages if m.kind == "event"]
    assert events == ["First response overdue: it was due Tue 10 Mar 13:00"]  # the shop's clock (Berlin)


def test_catch_up_after_downtime_stamps_the_due_time_not_the_restart(office, clock):
    clock.set(berlin(2026, 3, 10, 16, 0))
    cid = receive(office).conversation_id
    clock.set(berlin(2026, 3, 16, 8, 0))  # the PC was off for almost a week
    # 4 business hours from Tuesday 16:00 is Wednesday 12:00; the resolution target (40 h) is not due yet.
    assert office.sla.scan() == [(cid, "first_response", berlin(2026, 3, 11, 12, 0))]
    assert breaches(office, cid) == [("first_response", berlin(2026, 3, 11, 12, 0))]
    clock.set(berlin(2026, 3, 17, 16, 0))
    assert office.sla.scan() == [(cid, "resolution", berlin(2026, 3, 17, 16, 0))]


def test_resolution_clock_runs_across_replies_while_open(office, clock, ann):
    clock.set(berlin(2026, 3, 10, 9, 0))
    cid = receive(office).conversation_id
    office.conversations.reply(cid, ann, "On it", then="open")  # still the team's turn
    c = office.conversations.get(cid).conversation
    assert c.response_due_at is None
    assert c.resolution_due_at == berlin(2026, 3, 16, 17, 0)  # 40 business hours: Tuesday 9:00 to Monday 17:00


def test_around_the_clock_policy_for_urgent(office, clock, ann):
    clock.set(berlin(2026, 3, 7, 23, 0))  # Saturday night
    cid = receive(office).conversation_id
    office.conversations.set_priority(cid, "urgent", ann)  # urgent: 1 h, around the clock
    assert office.conversations.get(cid).conversation.response_due_at == berlin(2026, 3, 8, 0, 0)


def test_overdue_and_at_risk_views(office, clock, ann):
    clock.set(berlin(2026, 3, 10, 9, 0))
    late = receive(office, email="late@example.com").conversation_id
    clock.advance(hours=3, minutes=30)  # late: 3.5 of 4 h used (at risk)
    soon = receive(office, email="soon@example.com").conversation_id
    counts = office.inbox.counts(InboxQuery(), ann.id)
    assert counts["overdue"] == 0 and counts["at_risk"] == 1
    assert [r.id for r in office.inbox.page(InboxQuery(view="at_risk"), ann.id).rows] == [late]
    clock.advance(minutes=30)
    assert [r.id for r in office.inbox.page(InboxQuery(view="overdue"), ann.id).rows] == [late]
    row = office.inbox.page(InboxQuery(), ann.id).rows[0]
    assert row.due is not None and row.due.overdue and row.due.target == "first_response"
    assert soon not in [r.id for r in office.inbox.page(InboxQuery(view="overdue"), ann.id).rows]


def test_changing_a_policy_moves_running_due_times(office, clock, ann):
    clock.set(berlin(2026, 3, 10, 9, 0))
    cid = receive(office).conversation_id
    office.sla.set_policy("normal", 60, 480, 2400, True, ann)
    assert office.conversations.get(cid).conversation.response_due_at == berlin(2026, 3, 10, 10, 0)


def test_auto_resolve_touches_only_conversations_pending_on_the_customer(office, clock, ann):
    pending = receive(office, email="p@example.com").conversation_id
    office.conversations.reply(pending, ann, "Does this help?")  # pending
    waiting_on_team = receive(office, email="t@example.com").conversation_id  # open
    clock.advance(days=9, hours=23)
    assert office.conversations.auto_resolve(10) == []
    clock.advance(hours=1)
    assert office.conversations.auto_resolve(10) == [pending]
    assert office.conversations.get(pending).conversation.status == "resolved"
    assert office.conversations.get(waiting_on_team).conversation.status == "open"
    assert "no reply from the customer for 10 days" in office.conversations.get(pending).messages[-1].body


def test_the_api_shows_due_times_and_breaches(office, clock, client, auth):
    clock.set(berlin(2026, 3, 10, 9, 0))
    created = client.post("/api/v1/messages", headers=auth, json={
        "customer": {"email": "api@example.com"}, "body": "Hello?"}).json()
    sla = client.get(f"/api/v1/conversations/{created['conversation_id']}", headers=auth).json()["sla"]
    assert sla["response_target"] == "first_response"
    assert sla["response_due_at"] == "2026-03-10T12:00:00Z" and not sla["overdue"]
    clock.set(berlin(2026, 3, 10, 13, 30))
    office.sla.scan()
    sla = client.get(f"/api/v1/conversations/{created['conversation_id']}", headers=auth).json()["sla"]
    assert sla["overdue"] is True
    assert sla["breaches"] == [{"target": "first_response", "due_at": "2026-03-10T12:00:00Z",
                                "recorded_at": "2026-03-10T12:30:00Z"}]
    listed = client.get("/api/v1/conversations", headers=auth).json()["conversations"][0]["sla"]
    assert listed["overdue"] is True and listed["breaches"] == []
