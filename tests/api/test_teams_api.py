"""Teams through the API as an integrator uses it: made and changed with the admin scope,
named in every conversation answer, a conversation moved with PATCH and listed by team, and
the team in what webhooks and the events API carry."""

from __future__ import annotations

import pytest

from helpdesk.services.base import Actor
from tests.conftest import post_message


@pytest.fixture
def admin(services, ann, bob):
    token = services.tokens.create("ops script", actor=Actor.system(), scopes=["intake", "read", "reply", "admin"])
    return {"Authorization": f"Bearer {token.plaintext}"}


def test_teams_are_made_listed_and_changed_with_the_admin_scope(client, admin, auth):
    made = client.post("/api/v1/teams", json={"name": "Workshop", "members": ["bob@shop.example"],
                                              "lead": "ann@shop.example"}, headers=admin)
    assert made.status_code == 201, made.text
    team = made.json()
    assert team["lead"]["email"] == "ann@shop.example"
    assert [m["email"] for m in team["members"]] == ["ann@shop.example", "bob@shop.example"]  # the lead is a member

    again = client.post("/api/v1/teams", json={"name": "WORKSHOP"}, headers=admin)
    assert again.status_code == 422 and again.json()["error"]["fields"] == {"name": "a team called Workshop exists already"}
    stranger = client.post("/api/v1/teams", json={"name": "Sales", "members": ["zed@shop.example"]}, headers=admin)
    assert stranger.json()["error"]["fields"] == {"members": "no active agent has the email zed@shop.example"}
    assert client.get("/api/v1/teams", headers=auth).status_code == 403  # intake and read only

    changed = client.patch(f"/api/v1/teams/{team['id']}", json={"members": ["bob@shop.example"], "lead": None},
                           headers=admin).json()
    assert (changed["name"], changed["lead"], [m["email"] for m in changed["members"]]) == \
        ("Workshop", None, ["bob@shop.example"])
    renamed = client.patch(f"/api/v1/teams/{team['id']}", json={"name": "Bike workshop"}, headers=admin).json()
    assert [m["email"] for m in renamed["members"]] == ["bob@shop.example"]  # members left as they were
    assert client.get("/api/v1/teams", headers=admin).json()["teams"][0]["name"] == "Bike workshop"
    assert client.patch("/api/v1/teams/999", json={"name": "X"}, headers=admin).status_code == 404
    assert client.patch(f"/api/v1/teams/{team['id']}", json={"colour": "red"}, headers=admin).status_code == 422


def test_a_conversations_team_is_answered_changed_and_listed(client, admin, auth):
    client.post("/api/v1/teams", json={"name": "Workshop", "members": ["bob@shop.example"]}, headers=admin)
    cid = post_message(client, auth).json()["conversation_id"]
    assert client.get(f"/api/v1/conversations/{cid}", headers=admin).json()["team"] is None

    moved = client.patch(f"/api/v1/conversations/{cid}", json={"team": "workshop",
                                                                "assignee_email": "bob@shop.example"}, headers=admin)
    assert moved.status_code == 200, moved.text
    assert (moved.json()["team"], moved.json()["assignee"]["name"]) == ("Workshop", "Bob Agent")
    other = post_message(client, auth, customer={"email": "dan@example.com"}).json()["conversation_id"]
    listed = client.get("/api/v1/conversations", params={"team": "Workshop"}, headers=admin).json()["conversations"]
    assert [c["id"] for c in listed] == [cid] and listed[0]["team"] == "Workshop"
    assert {c["id"] for c in client.get("/api/v1/conversations", headers=admin).json()["conversations"]} == {cid, other}

    unknown = client.patch(f"/api/v1/conversations/{cid}", json={"team": "Gardening"}, headers=admin)
    assert unknown.status_code == 422
    assert unknown.json()["error"]["fields"] == {"team": "no team is called Gardening (teams: Workshop)"}
    assert client.get("/api/v1/conversations", params={"team": "Gardening"}, headers=admin).status_code == 422
    out = client.patch(f"/api/v1/conversations/{cid}", json={"team": None}, headers=admin).json()
    assert out["team"] is None and out["assignee"]["name"] == "Bob Agent"  # no team: the assignee stays


def test_the_events_api_carries_the_team_of_a_customers_message(client, admin, auth):
    client.post("/api/v1/teams", json={"name": "Workshop"}, headers=admin)
    start = client.get("/api/v1/events", headers=admin).json()["next"]  # without `after`: from now on
    cid = post_message(client, auth).json()["conversation_id"]
    client.patch(f"/api/v1/conversations/{cid}", json={"team": "Workshop"}, headers=admin)
    post_message(client, auth, body="Any news?")
    received = [e for e in client.get("/api/v1/events", params={"after": start}, headers=admin).json()["events"]
                if e["type"] == "message.received"]
    assert [e["data"]["team"] for e in received] == [None, "Workshop"]


def test_a_chat_sites_new_conversations_go_to_its_team(services, client, ann):
    sales = services.teams.create("Sales", [], ann)
    site = services.messaging.channels.add("website", "Shop pages", {"origins": ["https://shop.example"]}, ann)
    services.teams.send_new_conversations("channel", site.id, "Sales", ann)
    sent = client.post(f"/widget/{site.config['key']}/messages", json={"visitor": "v" * 24, "body": "Price of the red bike?"},
                       headers={"Origin": "https://shop.example"})
    assert sent.status_code == 201, sent.text
    assert services.conversations.get_row(sent.json()["conversation_id"]).team_id == sales.id


def test_a_bot_lists_the_shared_macros_and_runs_one(services, client, admin, ann, bob):
    services.canned.create("Ready", "Hi {{customer.first_name}}, your bike is ready!", ann)
    macro = services.macros.create("Bike ready for pick-up", [{"type": "reply", "canned": "Ready"},
                                                              {"type": "add_tags", "tags": ["pick-up"]},
                                                              {"type": "status", "value": "resolved"}], ann)
    services.macros.create("Bob's own", [{"type": "note", "body": "mine"}], bob, shared=False)
    listed = client.get("/api/v1/macros", headers=admin).json()["macros"]
    assert [(m["name"], m["description"]) for m in listed] == [
        ("Bike ready for pick-up", "reply “Ready”, tag pick-up, set resolved")]
    cid = post_message(client, admin, customer={"email": "gia@example.com", "name": "Gia Rossi"}).json()[
        "conversation_id"]
    ran = client.post(f"/api/v1/conversations/{cid}/macros/{macro.id}", headers=admin)
    assert ran.status_code == 200, ran.text
    assert (ran.json()["status"], ran.json()["tags"]) == ("resolved", ["pick-up"])
    assert ran.json()["messages"][-1]["body"] == "Hi Gia, your bike is ready!"
    assert client.post(f"/api/v1/conversations/{cid}/macros/999", headers=admin).status_code == 404


def test_reports_and_csv_by_team(services, client, admin, ann):
    workshop = services.teams.create("Workshop", [], ann)
    ours = post_message(client, admin, customer={"email": "gia@example.com"}).json()["conversation_id"]
    post_message(client, admin, customer={"email": "hal@example.com"})
    services.conversations.set_team(ours, workshop.id, ann)
    summary = client.get("/api/v1/reports/summary", params={"team": "workshop"}, headers=admin).json()
    assert (summary["conversations_created"], summary["backlog_now"]) == (1, 1)
    assert client.get("/api/v1/reports/summary", headers=admin).json()["conversations_created"] == 2
    csv_rows = client.get("/api/v1/conversations.csv", params={"team": "Workshop"}, headers=admin).text.splitlines()
    assert len(csv_rows) == 2 and csv_rows[1].startswith(f"{ours},")
    assert client.get("/api/v1/reports/summary.csv", params={"team": "Gardening"}, headers=admin).status_code == 422


def test_a_team_keeps_its_own_hours_and_targets_and_gives_them_back(client, admin, clock):
    team = client.post("/api/v1/teams", json={"name": "Workshop"}, headers=admin).json()
    assert (team["hours"], team["targets"]) == (None, None)  # the shop's
    hours = {"timezone": "Europe/Berlin", "hours": {"mon": [["08:00", "17:00"]], "sat": [["08:00", "12:00"]]},
             "holidays": ["2026-12-24"]}
    changed = client.patch(f"/api/v1/teams/{team['id']}", headers=admin, json={
        "hours": hours, "targets": {"urgent": {"first_response_minutes": 15, "next_response_minutes": 30,
                                               "resolution_minutes": 240}}})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["hours"]["hours"] == hours["hours"] and body["hours"]["holidays"] == ["2026-12-24"]
    assert body["targets"] == {"urgent": {"first_response_minutes": 15, "next_response_minutes": 30,
                                          "resolution_minutes": 240, "business_hours": True}}
    assert client.get("/api/v1/teams", headers=admin).json()["teams"][0]["hours"]["timezone"] == "Europe/Berlin"

    bad_zone = client.patch(f"/api/v1/teams/{team['id']}", headers=admin,
                            json={"name": "Renamed", "hours": {**hours, "timezone": "Mars/Olympus"}})
    assert bad_zone.status_code == 422 and "hours" in bad_zone.json()["error"]["fields"]
    zero = client.patch(f"/api/v1/teams/{team['id']}", headers=admin, json={"targets": {"low": {
        "first_response_minutes": 0, "next_response_minutes": 1, "resolution_minutes": 1}}})
    assert zero.status_code == 422
    after = client.get("/api/v1/teams", headers=admin).json()["teams"][0]
    assert after["name"] == "Workshop" and after["targets"]["urgent"]["first_response_minutes"] == 15  # nothing changed

    back = client.patch(f"/api/v1/teams/{team['id']}", headers=admin, json={"hours": None, "targets": None}).json()
    assert (back["hours"], back["targets"]) == (None, None)
