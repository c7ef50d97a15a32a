"""The API through a real uvicorn server on loopback, with a real SQLite file."""

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from helpdesk.app import HelpdeskApp, ServerThread
from helpdesk.services.base import Actor


def test_post_and_read_back_over_http(server, auth):
    with httpx.Client(base_url=server.url, headers=auth) as http:
        created = http.post("/api/v1/messages", json={"customer": {"phone": "+1 555 0100", "name": "Dee"},
                                                      "body": "Is the shop open on Sunday?"})
        assert created.status_code == 201
        conversation = http.get(f"/api/v1/conversations/{created.json()['conversation_id']}").json()
        assert conversation["customer"]["phone"] == "+15550100"
        assert conversation["messages"][0]["body"] == "Is the shop open on Sunday?"
        link = created.json()["conversation_url"]
        assert link.startswith("http://shop.test/c/")  # the configured address customers use
        assert http.get("/c/" + link.rsplit("/", 1)[1]).status_code == 200


def test_messages_survive_a_server_restart(settings, clock, tmp_path):
    first = HelpdeskApp(settings, clock=clock).start()
    token = first.services.tokens.create("restart", actor=Actor.system()).plaintext
    headers = {"Authorization": f"Bearer {token}"}
    with ServerThread(first) as server:
        created = httpx.post(server.url + "/api/v1/messages", headers=headers, json={
            "customer": {"email": "rita@example.com"}, "body": "Before the restart"}).json()
    first.close()
    if settings.is_sqlite:
        assert (settings.data_dir / "helpdesk.db").stat().st_size > 0

    second = HelpdeskApp(settings, clock=clock).start()
    try:
        with ServerThread(second) as server:
            conversation = httpx.get(f"{server.url}/api/v1/conversations/{created['conversation_id']}",
                                     headers=headers).json()
            assert [m["body"] for m in conversation["messages"]] == ["Before the restart"]
            again = httpx.post(server.url + "/api/v1/messages", headers=headers, json={
                "customer": {"email": "RITA@example.com"}, "body": "After the restart"}).json()
            assert again["conversation_id"] == created["conversation_id"]
    finally:
        second.close()


def test_concurrent_intake_loses_nothing_and_never_duplicates_a_customer(server, auth, services):
    clients = threading.local()  # one connection a sender, as an integration keeps one

    def send(i: int) -> int:
        if not hasattr(clients, "http"):
            clients.http = httpx.Client(base_url=server.url, headers=auth)
            opened.append(clients.http)
        response = clients.http.post("/api/v1/messages", json={
            "customer": {"email": f"shopper{i % 10}@example.com"}, "body": f"message {i}",
            "idempotency_key": f"key-{i}"})
        return response.status_code

    opened: list[httpx.Client] = []
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(send, range(120)))
    for http in opened:
        http.close()
    assert statuses == [201] * 120
    with httpx.Client(base_url=server.url, headers=auth) as http:
        ids = set()
        for i in range(10):
            listed = http.get("/api/v1/conversations", params={"customer_email": f"shopper{i}@example.com"}).json()
            assert len(listed["conversations"]) == 1  # one customer, one open thread
            ids.add(listed["conversations"][0]["id"])
            detail = http.get(f"/api/v1/conversations/{listed['conversations'][0]['id']}").json()
            assert len(detail["messages"]) == 12
    assert len(ids) == 10
