"""Reports from stored days (the roll-ups) give the same answers as the exact computation from
every message, after every kind of change a shop makes, on a moving clock; and they are stored,
refreshed by the job, dropped when the targets change, and rebuilt by the command."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from helpdesk.models import ReportDay
from helpdesk.services.calendar import BusinessCalendar
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.errors import ServiceError

FIRST_DAY = date(2026, 3, 2)


def same(services, first: date, last: date) -> None:
    rolled = services.reports.summary(first, last)
    exact = services.reports.summary(first, last, exact=True)
    assert rolled == exact


def stored(services) -> int:
    with services.db.read() as s:
        return s.execute(select(func.count()).select_from(ReportDay)).scalar_one()


def test_a_random_fortnight_reads_the_same_from_stored_days_after_every_change(services, clock, ann, bob):
    """Replies, late first answers, re-contacts, priority changes (business hours or not),
    reassignments, ratings, resolutions, reopenings and customer links, in random order; the
    roll-ups are stored after the first report and kept right only by what changed."""
    rng = random.Random(20)
    conv = services.conversations
    services.sla.set_policy("urgent", 30, 30, 240, False, ann)  # around the clock, the others business hours
    clock.set(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))
    customers = [f"c{n}@example.com" for n in range(12)]
    agents = [ann, bob]
    conversations: list[int] = []
    for step in range(220):
        clock.advance(timedelta(minutes=rng.choice([7, 25, 50, 140, 400])))
        action = rng.random()
        try:
            if action < 0.30 or not conversations:
                got = conv.receive(IncomingMessage(body=f"question {step} about the bike", email=rng.choice(customers)))
                conversations.append(got.conversation_id)
            elif action < 0.55:
                conv.reply(rng.choice(conversations), rng.choice(agents), f"answer {step}",
                           then=rng.choice(["pending", "open", "resolved"]))
            elif action < 0.65:
                conv.set_priority(rng.choice(conversations), rng.choice(["urgent", "high", "normal", "low"]), ann)
            elif action < 0.75:
                conv.assign(rng.choice(conversations), rng.choice([ann.id, bob.id, None]), ann)
            elif action < 0.85:
                conv.set_status(rng.choice(conversations), rng.choice(["resolved", "open", "pending"]), ann)
            elif action < 0.93:
                c = rng.choice(conversations)
                conv.rate(conv.get(c).conversation.public_token, rng.randint(1, 5), "")
            else:
                a, b = rng.sample(range(len(customers)), 2)
                first = services.customers.find_by_identifier("email", customers[a])
                second = services.customers.find_by_identifier("email", customers[b])
                if first and second and first.id != second.id:
                    services.customers.link(first.id, second.id, ann)
        except ServiceError:
            continue  # not allowed now (rating twice, a status it has): a person would be told so
        if step % 20 == 19:
            last = clock.now().date()
            same(services, FIRST_DAY, last)
            same(services, last - timedelta(days=2), last)
    assert stored(services) >= 5


def test_stored_days_are_dropped_when_the_targets_or_the_calendar_change(services, clock, ann):
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    c = services.conversations.receive(IncomingMessage(body="hi", email="kim@example.com")).conversation_id
    clock.set(datetime(2026, 3, 2, 20, 0, tzinfo=timezone.utc))
    services.conversations.reply(c, ann, "evening answer")
    before = services.reports.summary(FIRST_DAY, FIRST_DAY)
    assert stored(services) == 1
    services.sla.set_calendar(BusinessCalendar.always(), ann)  # business hours no more: the same answer is longer
    after = services.reports.summary(FIRST_DAY, FIRST_DAY)
    assert after.first_response.median_seconds == 11 * 3600 != before.first_response.median_seconds
    assert after == services.reports.summary(FIRST_DAY, FIRST_DAY, exact=True)


def test_the_job_stores_the_last_two_years_and_the_command_rebuilds_them(services, clock, ann):
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    services.conversations.receive(IncomingMessage(body="hi", email="kim@example.com"))
    clock.set(datetime(2026, 3, 9, 9, 0, tzinfo=timezone.utc))
    newest_six_months = 9 + 28 + 31 + 31 + 30 + 31  # 1-9 March back to October
    assert services.reports.refresh_rollups() == newest_six_months  # a run does six months, newest first
    assert services.reports.refresh_rollups(most_months=None) == 731 - newest_six_months  # the rest of two years
    assert services.reports.refresh_rollups() == 0  # nothing changed
    services.conversations.receive(IncomingMessage(body="again", email="kim@example.com"))
    assert 1 <= services.reports.refresh_rollups() <= 8  # today, and the week a re-contact could change
    assert services.reports.rebuild_rollups() == 8  # from the first conversation to today
    assert stored(services) == 8
    year = services.reports.summary(date(2025, 3, 10), date(2026, 3, 9))
    assert year == services.reports.summary(date(2025, 3, 10), date(2026, 3, 9), exact=True)
    assert year.conversations_created == 1


def test_a_report_longer_than_two_years_is_refused(services):
    with pytest.raises(ServiceError, match="too long"):
        services.reports.summary(date(2024, 1, 1), date(2026, 1, 2))


def test_a_customer_back_days_later_changes_the_stored_day_of_the_resolution(services, clock, ann):
    """Nothing else touches the day the conversation was resolved; the customer's new message,
    in a new conversation three days later, still makes it a re-contact."""
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    c = services.conversations.receive(IncomingMessage(body="broken spoke", email="kim@example.com")).conversation_id
    clock.set(datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc))
    services.conversations.reply(c, ann, "fixed, come by", then="resolved")
    clock.set(datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc))
    assert services.reports.summary(FIRST_DAY, date(2026, 3, 5)).recontact_rate == 0  # stored so
    clock.set(datetime(2026, 3, 5, 12, 0, tzinfo=timezone.utc))
    services.conversations.receive(IncomingMessage(body="another spoke broke", email="kim@example.com"))
    assert services.reports.summary(FIRST_DAY, date(2026, 3, 5)).recontact_rate == 1
    same(services, FIRST_DAY, date(2026, 3, 5))


def test_a_later_priority_change_or_reassignment_changes_the_stored_days_it_reaches_back_to(services, clock, ann,
                                                                                              bob):
    """Nothing else touches the days the conversation was answered and rated; a priority change
    (a clock around the clock instead of business hours) and a transfer days later still reach them."""
    services.sla.set_policy("urgent", 30, 30, 240, False, ann)  # urgent counts around the clock
    clock.set(datetime(2026, 3, 2, 16, 0, tzinfo=timezone.utc))
    c = services.conversations.receive(IncomingMessage(body="brakes squeal", email="kim@example.com")).conversation_id
    services.conversations.assign(c, ann.id, ann)
    clock.set(datetime(2026, 3, 3, 10, 0, tzinfo=timezone.utc))
    services.conversations.reply(c, ann, "adjusted them", then="resolved")
    token = services.conversations.get(c).conversation.public_token
    services.conversations.rate(token, 4, "")
    clock.set(datetime(2026, 3, 6, 12, 0, tzinfo=timezone.utc))
    period = (FIRST_DAY, date(2026, 3, 6))
    before = services.reports.summary(*period)
    assert {a.name: a.csat_count for a in before.agents}.get("Ann Agent") == 1
    services.conversations.set_priority(c, "urgent", ann)
    after = services.reports.summary(*period)
    assert after.first_response.median_seconds == 18 * 3600 != before.first_response.median_seconds
    assert after.resolution.median_seconds == 18 * 3600 != before.resolution.median_seconds
    same(services, *period)
    services.conversations.assign(c, bob.id, ann)  # ratings count for whoever has it now
    moved = services.reports.summary(*period)
    assert {a.name: a.csat_count for a in moved.agents}.get("Bob Agent") == 1
    same(services, *period)
