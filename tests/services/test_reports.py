"""Report figures against a hand-built history with known answers, on a moving clock."""

from datetime import date, datetime, timezone

import pytest

from helpdesk.services.calendar import BusinessCalendar
from helpdesk.services.conversations import IncomingMessage


def at(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=timezone.utc)


@pytest.fixture
def history(services, clock, ann, bob):
    services.sla.set_calendar(BusinessCalendar.always(), ann)  # plain clock time keeps the answers easy
    conv = services.conversations
    clock.set(at(2, 9))
    c1 = conv.receive(IncomingMessage(body="A1", email="a@example.com")).conversation_id
    clock.set(at(2, 9, 30))
    c2 = conv.receive(IncomingMessage(body="B1", email="b@example.com")).conversation_id
    clock.set(at(2, 10))
    conv.reply(c1, ann, "first answer")                       # first response 1 h (target 4 h: within)
    clock.set(at(2, 12))
    token = conv.get(c1).conversation.public_token
    conv.receive(IncomingMessage(body="A2", email="a@example.com"))  # next wait starts
    clock.set(at(2, 12, 30))
    conv.reply(c1, ann, "second answer", then="open")         # next response 30 min
    clock.set(at(2, 13))
    conv.set_status(c1, "resolved", ann)                       # resolution 4 h
    clock.set(at(2, 13, 10))
    conv.rate(token, 5, "great")
    clock.set(at(2, 15, 30))
    conv.reply(c2, bob, "late answer", then="resolved")        # first response 6 h (outside); resolution 6 h
    clock.set(at(3, 9))
    c3 = conv.receive(IncomingMessage(body="B2", email="b@example.com")).conversation_id  # B back: a re-contact
    clock.set(at(3, 18))
    return c1, c2, c3


def test_the_summary_matches_the_hand_computed_answers(services, history, ann, bob):
    s = services.reports.summary(date(2026, 3, 2), date(2026, 3, 3))
    assert s.conversations_created == 3
    assert s.per_day == [{"date": "2026-03-02", "created": 2, "resolved": 2},
                         {"date": "2026-03-03", "created": 1, "resolved": 0}]
    assert (s.first_response.count, s.first_response.median_seconds) == (2, 12_600)
    assert s.first_response.p90_seconds == pytest.approx(19_800)
    assert s.first_response.within_target_share == 0.5
    assert (s.next_response.count, s.next_response.median_seconds) == (1, 1_800)
    assert (s.resolution.count, s.resolution.median_seconds) == (2, 18_000)
    assert s.turns_customer_average == pytest.approx(4 / 3) and s.turns_agent_average == 1
    assert s.recontact_rate == 0.5
    assert (s.csat_average, s.csat_count) == (5, 1)
    assert s.backlog_now == 1
    assert s.busiest_hours[0][9] == 2 and s.busiest_hours[0][12] == 1 and s.busiest_hours[1][9] == 1
    by_name = {a.name: a for a in s.agents}
    assert (by_name["Ann Agent"].replies, by_name["Ann Agent"].resolutions) == (2, 1)
    assert by_name["Ann Agent"].first_response.median_seconds == 3_600 and by_name["Ann Agent"].csat_average == 5
    assert (by_name["Bob Agent"].replies, by_name["Bob Agent"].first_response.median_seconds) == (1, 21_600)


def test_business_hours_shrink_the_figures(services, clock, ann):
    services.sla.set_calendar(BusinessCalendar.office("UTC"), ann)  # Monday to Friday 9-17
    clock.set(at(6, 16))  # Friday 16:00
    cid = services.conversations.receive(IncomingMessage(body="hi", email="w@example.com")).conversation_id
    clock.set(at(9, 10))  # Monday 10:00: 1 h on Friday + 1 h on Monday
    services.conversations.reply(cid, ann, "hello")
    s = services.reports.summary(date(2026, 3, 6), date(2026, 3, 9))
    assert s.first_response.median_seconds == 7_200


def test_the_report_over_the_api_and_as_csv(services, history, client, auth):
    body = client.get("/api/v1/reports/summary", params={"from": "2026-03-02", "to": "2026-03-03"}, headers=auth)
    assert body.status_code == 200
    data = body.json()
    assert data["first_response"]["median_seconds"] == 12_600 and data["recontact_rate"] == 0.5
    csv_text = client.get("/api/v1/reports/summary.csv", params={"from": "2026-03-02", "to": "2026-03-03"},
                          headers=auth)
    assert csv_text.headers["content-type"].startswith("text/csv")
    assert "all,first response median seconds,12600" in csv_text.text
    assert "2026-03-02,2,2" in csv_text.text
    bad = client.get("/api/v1/reports/summary", params={"from": "2026-03-05", "to": "2026-03-01"}, headers=auth)
    assert bad.status_code == 422 and "to" in bad.json()["error"]["fields"]
    assert client.get("/api/v1/reports/summary", params={"from": "yesterday"}, headers=auth).status_code == 422


def test_conversations_export_as_csv(services, history, client, auth):
    import csv
    import io
    text = client.get("/api/v1/conversations.csv", params={"from": "2026-03-02", "to": "2026-03-03"},
                      headers=auth).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["id"], r["status"]) for r in rows] == [("1", "resolved"), ("2", "resolved"), ("3", "open")]
    assert rows[0]["contact"] == "a@example.com" and rows[1]["assignee"] == "Bob Agent"
