"""A team's own business hours and response targets: the shop is open 9:00-17:00 in Berlin,
its Workshop from 8:00. A workshop conversation's clocks, the promise its customer sees, the
automation's business-hours condition and its report all count in the workshop's hours."""

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from helpdesk.services.base import Actor
from helpdesk.services.calendar import BusinessCalendar
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.errors import Forbidden, ValidationFailed
from helpdesk.services.sla import Policy

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args):
    return datetime(*args, tzinfo=BERLIN).astimezone(timezone.utc)


@pytest.fixture
def shop(services, ann):
    services.sla.set_calendar(BusinessCalendar.office("Europe/Berlin"), ann)  # normal: first reply in 4 h
    services.agents.create("tom@shop.example", "Tom Mechanic", "tom's password", actor=Actor.system())
    workshop = services.teams.create("Workshop", ["tom@shop.example"], ann)
    services.sla.set_team_hours(workshop.id, BusinessCalendar.office("Europe/Berlin", start=time(8)), ann)
    return workshop


def receive(services, team_id=None, email="c@example.com", body="Is my bike ready?"):
    return services.conversations.receive(IncomingMessage(body=body, email=email, team_id=team_id)).conversation_id


def due(services, cid):
    return services.conversations.get(cid).conversation.response_due_at


def test_a_workshop_conversation_counts_from_the_workshops_opening(services, clock, shop):
    clock.set(berlin(2026, 3, 10, 7, 30))  # Tuesday, before either opens
    workshop_cid = receive(services, shop.id, "a@example.com")
    shop_cid = receive(services, None, "b@example.com")
    assert due(services, workshop_cid) == berlin(2026, 3, 10, 12, 0)  # 8:00 + 4 h
    assert due(services, shop_cid) == berlin(2026, 3, 10, 13, 0)  # 9:00 + 4 h
    clock.set(berlin(2026, 3, 10, 12, 0))
    assert [c for c, *_ in services.sla.scan()] == [workshop_cid]


def test_a_teams_own_targets_replace_the_shops_for_the_priorities_it_names(services, clock, ann, shop):
    services.sla.set_team_targets(shop.id, [Policy("normal", 30, 60, 480, True)], ann)
    clock.set(berlin(2026, 3, 10, 10, 0))
    workshop_cid = receive(services, shop.id, "a@example.com")
    assert due(services, workshop_cid) == berlin(2026, 3, 10, 10, 30)
    services.conversations.update(workshop_cid, ann, priority="high")  # not named: the shop's (2 h)
    policy = services.sla.rules().policies["high"]
    assert due(services, workshop_cid) == berlin(2026, 3, 10, 10, 0) + timedelta(minutes=policy.first_response_minutes)


def test_moving_a_conversation_to_the_team_moves_its_deadline_and_removing_the_team_moves_it_back(
        services, clock, ann, shop):
    clock.set(berlin(2026, 3, 10, 7, 30))
    cid = receive(services)
    assert due(services, cid) == berlin(2026, 3, 10, 13, 0)
    services.conversations.set_team(cid, shop.id, ann)
    assert due(services, cid) == berlin(2026, 3, 10, 12, 0)
    services.teams.remove(shop.id, ann)
    assert due(services, cid) == berlin(2026, 3, 10, 13, 0)
    assert services.sla.rules().teams == {}


def test_changing_a_teams_hours_moves_its_running_clocks_and_back_to_the_shops(services, clock, ann, shop):
    clock.set(berlin(2026, 3, 10, 7, 30))
    cid = receive(services, shop.id)
    services.sla.set_team_hours(shop.id, BusinessCalendar.office("Europe/Berlin", start=time(7)), ann)
    assert due(services, cid) == berlin(2026, 3, 10, 11, 30)  # counting since 7:30
    services.sla.set_team_hours(shop.id, None, ann)
    assert due(services, cid) == berlin(2026, 3, 10, 13, 0)


def test_the_customer_is_promised_the_workshops_hours(services, clock, shop):
    clock.set(berlin(2026, 3, 10, 8, 30))
    workshop = services.promise.for_conversation(services.conversations.get(receive(services, shop.id)).conversation)
    other = services.promise.for_conversation(services.conversations.get(
        receive(services, None, "b@example.com")).conversation)
    assert workshop.open_now is True and workshop.open_until == berlin(2026, 3, 10, 17, 0)
    assert other.open_now is False and other.next_open == berlin(2026, 3, 10, 9, 0)


def test_a_rule_on_business_hours_asks_the_conversations_team(services, clock, ann, shop):
    services.automation.create({
        "title": "After hours tag", "trigger": "conversation_created",
        "conditions": {"match": "all", "items": [{"field": "business_hours", "op": "is", "value": "outside"}]},
        "actions": [{"type": "add_tags", "tags": ["after-hours"]}], "enabled": True}, ann)
    clock.set(berlin(2026, 3, 10, 8, 30))
    workshop_cid = receive(services, shop.id, "a@example.com")
    shop_cid = receive(services, None, "b@example.com")
    services.automation.process_all()
    assert services.conversations.get(workshop_cid).tags == []
    assert services.conversations.get(shop_cid).tags == ["after-hours"]


def test_a_teams_report_counts_its_first_replies_in_its_own_hours(services, clock, ann, shop):
    clock.set(berlin(2026, 3, 10, 7, 0))
    cid = receive(services, shop.id)
    clock.set(berlin(2026, 3, 10, 9, 0))
    services.conversations.reply(cid, ann, "Ready at noon")
    day = date(2026, 3, 10)
    report = services.reports.summary(day, day, team_id=shop.id)
    assert report.first_response.median_seconds == 3600  # 8:00-9:00 of the workshop's time, not 0


def test_bad_targets_are_refused_by_field_and_only_admins_change_them(services, ann, bob, shop):
    with pytest.raises(ValidationFailed) as refused:
        services.sla.set_team_targets(shop.id, [Policy("normal", 0, 60, 480, True)], ann)
    assert "normal.first_response_minutes" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        services.sla.set_team_targets(shop.id, [Policy("whenever", 10, 60, 480, True)], ann)
    assert "priority" in refused.value.fields
    with pytest.raises(Forbidden):
        services.sla.set_team_hours(shop.id, None, bob)
    assert services.sla.team_time(shop.id).policies == {}
