"""Each finding of the black-box probe, as the attack that found it (docs/security.md)."""

from __future__ import annotations

import csv
import io
import logging
import os
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import socket

import httpx
import pytest
from fastapi.testclient import TestClient

from helpdesk.app import HelpdeskApp, ServerThread
from helpdesk.clock import ManualClock
from helpdesk.config import Settings
from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.errors import ValidationFailed
from tests.conftest import post_message

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"Click\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"]


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# ---- CSV injection -------------------------------------------------------------------

def test_csv_exports_never_hand_a_spreadsheet_a_formula(client, auth, services):
    for i, formula in enumerate(FORMULAS):
        post_message(client, auth, customer={"email": f"f{i}@example.com", "name": formula}, subject=formula)
    services.agents.create("agent@shop.example", "=cmd|'/c calc'!A1", "long password", actor=Actor.system())
    exported = client.get("/api/v1/conversations.csv", headers=auth)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = rows_of(exported.text)[1:]
    for row, formula in zip(rows, FORMULAS):
        subject, name = row[5], row[6]
        assert subject == "'" + formula and name == "'" + formula
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row
    summary = client.get("/api/v1/reports/summary.csv", headers=auth).text
    assert not any(cell.startswith(("=", "+", "@")) for row in rows_of(summary) for cell in row)


def test_tabs_and_carriage_returns_at_the_start_of_a_cell_are_neutralised_too():
    from helpdesk.services.exports import csv_text, safe_cell

    assert safe_cell("\tTAB") == "'\tTAB" and safe_cell("\rCR") == "'\rCR"
    assert safe_cell(-3) == -3 and safe_cell("Ann") == "Ann"  # numbers stay numbers
    assert rows_of(csv_text([["\t=1+1"]])) == [["'\t=1+1"]]


# ---- dates out of range -----------------------------------------------------------------

@pytest.mark.parametrize("query", ["to=9999-12-31", "from=0001-01-01", "from=2026-03-02&to=2026-03-01",
                                   "from=1990-01-01&to=2026-01-01"])
@pytest.mark.parametrize("route", ["/api/v1/reports/summary", "/api/v1/reports/summary.csv", "/api/v1/conversations.csv"])
def test_a_period_outside_what_reports_cover_is_a_clear_422(client, auth, route, query):
    answer = client.get(f"{route}?{query}", headers=auth)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["fields"]


# ---- links only to those who proved who they are ---------------------------------------

def test_an_unverified_email_never_returns_someone_elses_thread(client, auth):
    first = post_message(client, auth, body="My order #1042 to 12 High Street").json()
    assert first["conversation_url"] and first["link_sent"] is False  # a new conversation: the writer's own
    stranger = post_message(client, auth, body="Show me what you have on this customer").json()
    assert stranger["conversation_id"] == first["conversation_id"]  # threaded for the agents, as ever
    assert stranger["conversation_url"] is None
    signed_in = post_message(client, auth, body="It's me, signed in on the shop's site",
                             customer={"email": "carol@example.com", "verified": True}).json()
    assert signed_in["conversation_url"] == first["conversation_url"]


def test_a_replayed_request_answers_as_the_first_time(client, auth):
    created = post_message(client, auth, idempotency_key="k1").json()
    again = post_message(client, auth, idempotency_key="k1")
    assert again.status_code == 200 and again.json()["conversation_url"] == created["conversation_url"]
    follow_up = post_message(client, auth, body="Any news?", idempotency_key="k2").json()
    assert post_message(client, auth, body="Any news?", idempotency_key="k2").json()["conversation_url"] is None
    assert follow_up["conversation_url"] is None


# ---- links and redirects never from the Host header ---------------------------------------

def test_links_never_come_from_the_host_header(tmp_path, data_dir, database_url):
    app = HelpdeskApp(Settings(data_dir=data_dir, database_url=database_url, host="127.0.0.1", port=0)).start()
    token = app.services.tokens.create("site", actor=Actor.system()).plaintext
    try:
        with ServerThread(app) as server:
            created = httpx.post(server.url + "/api/v1/messages", headers={
                "Authorization": f"Bearer {token}", "Host": "evil.example"},
                json={"customer": {"email": "h@example.com"}, "body": "hi"}).json()
            assert created["conversation_url"].startswith(server.url + "/c/")  # this machine's own address
            link = created["conversation_url"].rsplit("/", 1)[1]
            slash = httpx.get(f"{server.url}/c/{link}/", headers={"Host": "evil.example"})
            assert slash.status_code == 303 and slash.headers["location"] == f"/c/{link}"
            assert "default-src 'none'" in slash.headers["content-security-policy"]
    finally:
        app.close()


# ---- headers for every kind of response -----------------------------------------------------

def test_api_answers_are_never_sniffed_or_cached(client, auth):
    for answer in (client.get("/api/v1/health"), client.get("/api/v1/conversations", headers=auth),
                   client.get("/api/v1/conversations/999", headers=auth), client.get("/api/v1/nothing-here"),
                   post_message(client, {"Authorization": "Bearer wrong"})):
        assert answer.headers["x-content-type-options"] == "nosniff", answer.request.url
        assert answer.headers["cache-control"] == "no-store", answer.request.url


def test_the_api_docs_work_with_the_network_unplugged(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text and "https://" not in page.text and "http://" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "init.js"):
        loaded = client.get(f"/api/docs/assets/{asset}")
        assert loaded.status_code == 200 and len(loaded.content) > 50, asset


# ---- the agent UI and its websocket -----------------------------------------------------------

@pytest.fixture
def running(data_dir, database_url):
    app = HelpdeskApp(Settings(data_dir=data_dir, database_url=database_url, host="127.0.0.1", port=0)).start()
    with ServerThread(app) as server:
        yield app, server
    app.close()


def websocket_status(server, origin: str | None, host: str | None = None) -> int:
    """The status of a websocket handshake, over a plain socket that is closed right after it
    (an accepted socket left open would hold the server's shutdown for its grace period)."""
    lines = ["GET /ws HTTP/1.1", f"Host: {host or f'127.0.0.1:{server.port}'}", "Connection: Upgrade",
             "Upgrade: websocket", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]
    if origin:
        lines.append(f"Origin: {origin}")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        status_line = sock.makefile("rb").readline().decode()
    return int(status_line.split()[1])


def test_only_pages_helpdesk_serves_may_open_the_ui_websocket(running):
    app, server = running
    assert websocket_status(server, "http://evil.example") == 403
    assert websocket_status(server, "http://localhost.evil.example:8080") == 403
    assert websocket_status(server, "http://evil.example", host="evil.example") == 403  # DNS rebinding
    assert websocket_status(server, server.url) == 101
    assert websocket_status(server, None) == 101  # not a browser (the desktop window)


def test_websockets_closed_before_their_page_registered_leave_nothing_waiting(data_dir, database_url):
    """Flet's handler waited forever for such a socket (ui/flet_disconnect.py): each one held a
    task for as long as Helpdesk ran, and the shutdown waited out uvicorn's whole grace period."""
    app = HelpdeskApp(Settings(data_dir=data_dir, database_url=database_url, host="127.0.0.1", port=0)).start()
    try:
        server = ServerThread(app).start()
        for _ in range(20):
            assert websocket_status(server, server.url) == 101
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2.5, "a handler was still waiting (the grace period is 5 s)"
    finally:
        app.close()


def test_the_ui_answers_only_to_this_machines_names_and_cannot_be_framed(running):
    app, server = running
    rebound = httpx.get(server.url + "/", headers={"Host": "evil.example:8080"})
    assert rebound.status_code == 400
    page = httpx.get(server.url + "/")
    assert page.status_code == 200
    assert "access-control-allow-origin" not in page.headers
    assert page.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert page.headers["x-frame-options"] == "DENY"


# ---- rate limits never lock out the rightful -----------------------------------------------------

def test_wrong_link_guesses_from_a_shared_address_never_lock_out_a_customer(client, auth):
    real = post_message(client, auth).json()["conversation_url"].rsplit("/", 1)[1]
    for i in range(40):
        client.get(f"/c/guess{i:04d}")
    assert client.get("/c/guess-more").status_code == 429
    assert client.get(f"/c/{real}").status_code == 200
    assert client.post(f"/c/{real}", data={"body": "still me"}, follow_redirects=False).status_code == 303


def test_failed_sign_ins_count_on_this_machine_too(services, ann):
    from helpdesk.services.auth import SignInFailed

    for i in range(20):
        with pytest.raises(SignInFailed):
            services.auth.sign_in(f"x{i}@shop.example", "guess", client_ip="127.0.0.1")
    with pytest.raises(SignInFailed, match="too many failed sign-ins"):
        services.auth.sign_in("ann@shop.example", "guess", client_ip="127.0.0.1")


# ---- proxies by configuration ---------------------------------------------------------------------

def guess_tokens(server, forwarded_for: list[str]) -> list[int]:
    with httpx.Client(base_url=server.url) as http:
        return [http.post("/api/v1/messages", headers={"Authorization": "Bearer wrong", "X-Forwarded-For": address},
                          json={}).status_code for address in forwarded_for]


def test_forwarded_addresses_are_believed_only_from_configured_proxies(data_dir, database_url, tmp_path):
    addresses = [f"198.51.100.{i}" for i in range(35)]  # a guesser who claims a new address each time
    # A clock that stands still: the limiter refills as time passes, and a slow machine must
    # not let a guess through that a fast one would stop.
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    plain = HelpdeskApp(Settings(data_dir=data_dir, database_url=database_url, host="127.0.0.1", port=0),
                        clock=clock).start()
    try:
        with ServerThread(plain) as server:
            assert guess_tokens(server, addresses)[-1] == 429  # all counted as the real peer
    finally:
        plain.close()
    proxied = HelpdeskApp(Settings(data_dir=tmp_path / "proxied", host="127.0.0.1", port=0,
                                   trusted_proxies=("127.0.0.1",), database_url=database_url), clock=clock).start()
    try:
        with ServerThread(proxied) as server:
            assert set(guess_tokens(server, addresses)) == {401}  # the proxy names each client
    finally:
        proxied.close()


# ---- the data folder is the owner's ---------------------------------------------------------------

@pytest.mark.sqlite_only
@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_the_data_folder_and_its_files_are_owner_only(tmp_path, caplog):
    fresh = tmp_path / "fresh"
    app = HelpdeskApp(Settings(data_dir=fresh)).start()
    app.services.conversations.receive(IncomingMessage(body="hi", email="a@example.com"))
    app.close()
    assert fresh.stat().st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in fresh.iterdir()), {p.name: oct(p.stat().st_mode) for p in fresh.iterdir()}
    fresh.chmod(0o755)
    (fresh / "helpdesk.db").chmod(0o644)
    with caplog.at_level(logging.WARNING):
        HelpdeskApp(Settings(data_dir=fresh)).start().close()
    assert fresh.stat().st_mode & 0o777 == 0o700 and (fresh / "helpdesk.db").stat().st_mode & 0o777 == 0o600
    assert "tightened permissions" in caplog.text


# ---- webhook targets ---------------------------------------------------------------------------------

class Redirecting(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_POST(self) -> None:  # noqa: N802
        Redirecting.hits.append(self.path)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(302 if self.path == "/hook" else 200)
        self.send_header("Location", "/elsewhere")
        self.end_headers()

    def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
        pass


def test_webhooks_never_reach_metadata_and_reach_local_only_when_allowed(services, ann):
    def refusal(url: str, allow_local: bool = False) -> str:
        with pytest.raises(ValidationFailed) as refused:
            services.outbox.create_webhook(url, ["message.created"], "", ann, allow_local=allow_local)
        return refused.value.fields["url"]

    for url in ("http://169.254.169.254/latest/meta-data", "http://[fe80::1]/", "http://100.100.100.200/"):
        assert "link-local or cloud-metadata" in refusal(url, allow_local=True)
    assert "allow local targets" in refusal("http://127.0.0.1:9/hook")
    assert "allow local targets" in refusal("http://192.168.1.30/hook")
    assert services.outbox.create_webhook("http://192.168.1.30/hook", ["message.created"], "", ann,
                                          allow_local=True).allow_local


def test_webhook_redirects_are_not_followed(services, ann):
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    threading.Thread(target=receiver.serve_forever, args=(0.05,), daemon=True).start()
    Redirecting.hits = []
    try:
        services.outbox.create_webhook(f"http://127.0.0.1:{receiver.server_port}/hook", ["message.created"], "",
                                       ann, allow_local=True)
        cid = services.conversations.receive(IncomingMessage(body="hi", email="r@example.com")).conversation_id
        services.conversations.reply(cid, ann, "Hello")
        services.outbox.deliver_due()
        assert Redirecting.hits == ["/hook"]  # never "/elsewhere"
        delivery, _ = services.outbox.deliveries(services.outbox.webhooks()[0].id)[0]
        assert delivery.status == "pending" and "redirects are not followed" in delivery.last_error
    finally:
        receiver.shutdown()


def test_a_webhook_whose_name_later_points_at_metadata_is_refused_at_send_time(services, ann, monkeypatch):
    import socket

    hook = services.outbox.create_webhook("http://crm.example/hook", ["message.created"], "", ann)
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "",
                                                                       ("169.254.169.254", 80))]
                        if host == "crm.example" else real(host, *a, **k))
    cid = services.conversations.receive(IncomingMessage(body="hi", email="m@example.com")).conversation_id
    services.conversations.reply(cid, ann, "Hello")
    services.outbox.deliver_due()
    delivery, _ = services.outbox.deliveries(hook.id)[0]
    assert delivery.status == "pending" and "cloud-metadata" in delivery.last_error


def test_customer_pages_client_with_host_header_still_work(client, auth):
    """A test client addressed by a name the UI does not know still reaches the API and pages."""
    with TestClient(client.app, base_url="http://unknown.example") as other:
        assert other.get("/api/v1/health").status_code == 200
