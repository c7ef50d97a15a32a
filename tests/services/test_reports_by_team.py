"""Reports by team: the Workshop's figures are those of the Workshop's conversations, computed
here directly from its rows (on a plain 24-hour clock), and the teams' counts add up to the
shop's (every conversation here is in one of two teams)."""

from __future__ import annotations

import random
import statistics
from datetime import date, datetime, timedelta, timezone

from helpdesk.services.base import Actor
from helpdesk.services.calendar import BusinessCalendar
from helpdesk.services.conversations import IncomingMessage

START = datetime(2026, 3, 2, 8, tzinfo=timezone.utc)


def test_a_teams_report_is_its_conversations_figures_and_the_teams_add_up(services, clock, ann, bob):
    services.sla.set_calendar(BusinessCalendar.always(), ann)  # plain clock time: spans are wall-clock seconds
    tom = Actor.for_agent(services.agents.create("tom@shop.example", "Tom Mechanic", "tom's password",
                                                 actor=Actor.system()))
    workshop = services.teams.create("Workshop", ["tom@shop.example", "bob@shop.example"], ann)
    sales = services.teams.create("Sales", ["ann@shop.example"], ann)
    rng = random.Random(40)
    conv = services.conversations
    clock.set(START)
    made: list[int] = []
    for i in range(36):
        clock.advance(timedelta(minutes=rng.randint(5, 120)))
        cid = conv.receive(IncomingMessage(body=f"Question {i}", email=f"c{i % 20}@example.com")).conversation_id
        if cid in made:
            continue
        made.append(cid)
        conv.set_team(cid, rng.choice([workshop, sales]).id, ann)  # every conversation in one of the two
        if rng.random() < 0.8:
            clock.advance(timedelta(minutes=rng.randint(1, 300)))
            agent = rng.choice([ann, bob, tom])
            conv.reply(cid, agent, f"Answer {i}", then="resolved" if rng.random() < 0.6 else "pending")
    clock.advance(timedelta(hours=1))
    first, last = date(2026, 3, 2), clock.now().date()

    whole = services.reports.summary(first, last, exact=True)
    parts = [services.reports.summary(first, last, team_id=t.id) for t in (workshop, sales)]
    with services.db.read() as s:
        from sqlalchemy import select

        from helpdesk.models.tables import CONVERSATIONS as C
        rows = s.execute(select(C.c.id, C.c.team_id, C.c.created_at, C.c.first_reply_at, C.c.status)).all()
    for team, report in zip((workshop, sales), parts):
        ours = [r for r in rows if r.team_id == team.id]
        assert report.conversations_created == len(ours)
        assert report.backlog_now == sum(r.status == "open" for r in ours)
        answered = [(r.first_reply_at - r.created_at).total_seconds() for r in ours if r.first_reply_at]
        assert report.first_response.count == len(answered)
        assert report.first_response.median_seconds == (statistics.median(answered) if answered else None)
    # Every conversation is in one team: the two reports add up to the shop's, figure by figure.
    assert sum(p.conversations_created for p in parts) == whole.conversations_created
    assert [sum(p.per_day[i]["resolved"] for p in parts) for i in range(len(whole.per_day))] == \
        [d["resolved"] for d in whole.per_day]
    assert sum(p.first_response.count for p in parts) == whole.first_response.count
    replies: dict[str, int] = {}
    for p in parts:
        for agent in p.agents:
            replies[agent.name] = replies.get(agent.name, 0) + agent.replies
    assert replies == {a.name: a.replies for a in whole.agents}
    assert all(p.conversations_created > 0 for p in parts)
