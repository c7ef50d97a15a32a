"""A customer's data exported and erased through the API, as an integrator (or the shop's own
script) asks for it; checked in the zip, the database, the search index, the file store, the
outbox, the customer's link, the reports and the audit log."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import text

from helpdesk.services.base import Actor
from tests.api.test_files import PDF, png


@pytest.fixture
def admin(services):
    token = services.tokens.create("privacy script", actor=Actor.system(), scopes=["intake", "read", "reply", "admin"])
    return {"Authorization": f"Bearer {token.plaintext}"}


def post(client, headers, email, body, files=()):
    message = {"customer": {"email": email, "name": email.split("@")[0].title() + " Gdpr"}, "body": body}
    sent = client.post("/api/v1/messages", headers=headers, data={"message": json.dumps(message)},
                       files=list(files)) if files else client.post("/api/v1/messages", headers=headers, json=message)
    assert sent.status_code == 201, sent.text
    return sent.json()


def rows(services, sql, **params):
    with services.db.engine.connect() as conn:
        return conn.execute(text(sql), params).all()


def test_a_customer_is_exported_with_every_message_and_file_then_erased_without_changing_the_reports(
        client, admin, services, ann, clock):
    photo, other = png("purple"), png("orange")
    first = post(client, admin, "gerda@example.com", "My zanzibarian bicycle squeaks",
                 [("files", ("squeak.png", photo, "image/png"))])
    conversation_id = first["conversation_id"]
    services.conversations.reply(conversation_id, ann, "Bring the zanzibarian bike in on Monday",
                                 files=[services.files.stage_bytes(PDF, "booking.pdf")])
    services.conversations.add_note(conversation_id, ann, "Gerda's bike is the blue one")
    clock.advance(minutes=5)
    post(client, admin, "gerda@example.com", "Thanks, see you Monday")
    services.conversations.set_status(conversation_id, "resolved", ann)
    someone = post(client, admin, "olaf@example.com", "Same squeak here", [("files", ("mine.png", photo, "image/png")),
                                                                           ("files", ("other.png", other, "image/png"))])
    customer_id = first["customer_id"]
    services.customers.rename(customer_id, "Gerda G. Gdpr", ann)  # the audit log writes the old and new name down
    day = clock.now().date().isoformat()
    before = client.get(f"/api/v1/reports/summary?from={day}&to={day}", headers=admin)
    assert before.status_code == 200, before.text
    before = before.json()

    exported = client.get(f"/api/v1/customers/{customer_id}/export", headers=admin)
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(exported.content)) as zf:
        data = json.loads(zf.read("customer.json"))
        assert "customer.json" in zf.read("README.txt").decode()
        assert data["customer"]["name"] == "Gerda G. Gdpr"
        assert [i["value"] for i in data["customer"]["identities"]] == ["gerda@example.com"]
        (thread,) = data["conversations"]
        bodies = [m["body"] for m in thread["messages"] if m["kind"] != "event"]
        assert bodies == ["My zanzibarian bicycle squeaks", "Bring the zanzibarian bike in on Monday",
                          "Gerda's bike is the blue one", "Thanks, see you Monday"]
        reply = next(m for m in thread["messages"] if m["body"].startswith("Bring"))
        assert reply["delivery"]["status"] in ("queued", "sent", "delivered", "failed")
        files = [f for m in thread["messages"] for f in m.get("files", [])]
        assert sorted(f["name"] for f in files) == ["booking.pdf", "squeak.png"]
        for f in files:  # every file in the zip is the one sent, byte for byte
            assert hashlib.sha256(zf.read(f["in_zip"])).hexdigest() == f["sha256"]
        assert {f["sha256"] for f in files} == {hashlib.sha256(photo).hexdigest(), hashlib.sha256(PDF).hexdigest()}

    erased = client.post(f"/api/v1/customers/{customer_id}/erase", headers=admin)
    assert erased.status_code == 200, erased.text
    assert erased.json()["conversations"] == 1 and erased.json()["files_deleted"] == 1  # the PDF; the photo is Olaf's too

    # The database holds nothing of theirs: no name, address, words, files or webhook payloads.
    everything = " ".join(str(r) for table in ("customer", "customer_identifier", "conversation", "message",
                                               "attachment", "outbox_event", "mail_record", "draft", "audit_entry",
                                               "csat_rating", "delivery", "webhook_delivery")
                          for r in rows(services, f"SELECT * FROM {table}"))
    for word in ("Gerda", "gerda@example.com", "zanzibarian", "squeak.png", "booking.pdf", "blue one"):
        assert word not in everything, word
    assert "Same squeak here" in everything  # Olaf's conversation is untouched
    assert services.search.search("zanzibarian") == [] and services.search.search("Gerda") == []
    assert services.search.search("squeak")  # Olaf's words are still found
    assert not services.files.path_of(hashlib.sha256(PDF).hexdigest()).exists()
    assert services.files.path_of(hashlib.sha256(photo).hexdigest()).exists()  # Olaf sent it too
    assert client.get(f"/c/{first['conversation_url'].rsplit('/', 1)[-1]}").status_code == 404
    kept = client.get(f"/api/v1/conversations/{conversation_id}", headers=admin).json()
    assert kept["customer"]["name"] == "Erased customer" and kept["status"] == "resolved" and kept["subject"] == ""
    after = client.get(f"/api/v1/reports/summary?from={day}&to={day}", headers=admin).json()
    assert after == before  # the figures for the period do not change
    assert client.get(f"/api/v1/customers/{customer_id}/export", headers=admin).status_code == 404
    assert client.post(f"/api/v1/customers/{customer_id}/erase", headers=admin).status_code == 404

    log = client.get("/api/v1/audit?limit=500", headers=admin).json()["entries"]
    done = {e["action"]: e for e in log if e["action"] in ("customer.exported", "customer.erased")}
    assert done["customer.exported"]["actor_name"] == "privacy script"
    assert done["customer.erased"]["detail"]["customer_id"] == customer_id
    assert done["customer.erased"]["address"] == "testclient"
    assert someone["customer_id"] != customer_id


def test_only_an_admin_token_may_export_erase_or_read_the_audit_log(client, auth, services):
    created = post(client, auth, "h@example.com", "hello")
    for method, path in (("get", f"/api/v1/customers/{created['customer_id']}/export"),
                         ("post", f"/api/v1/customers/{created['customer_id']}/erase"), ("get", "/api/v1/audit"),
                         ("get", "/api/v1/blocklist")):
        answer = getattr(client, method)(path, headers=auth)
        assert answer.status_code == 403 and "admin" in answer.text


def test_the_audit_log_pages_by_cursor_and_old_entries_go_after_two_years(client, admin, services, ann, clock):
    for n in range(5):
        services.tokens.create(f"t{n}", actor=ann)
    first = client.get("/api/v1/audit?limit=3", headers=admin).json()
    rest = client.get(f"/api/v1/audit?after={first['next_after']}&limit=100", headers=admin).json()
    ids = [e["id"] for e in first["entries"] + rest["entries"]]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) and rest["next_after"] is None
    assert sum(e["action"] == "token.created" for e in first["entries"] + rest["entries"]) >= 5
    clock.advance(timedelta(days=732))
    assert services.auditlog.purge() == len(ids)


def test_spam_and_the_blocklist_through_the_api_and_a_blocked_senders_link_looks_unknown(client, admin, services):
    first = post(client, admin, "pest@example.com", "Buy followers now")
    token = first["conversation_url"].rsplit("/", 1)[-1]
    assert client.get(f"/c/{token}").status_code == 200
    unknown = client.get("/c/" + "x" * len(token))
    marked = client.post(f"/api/v1/conversations/{first['conversation_id']}/spam", headers=admin,
                         json={"block": [{"kind": "domain", "value": "Example.com"}]})
    assert marked.status_code == 200 and marked.json()["spam"] is True and marked.json()["status"] == "spam"
    listed = client.get("/api/v1/blocklist", headers=admin).json()["blocked"]
    assert [(b["kind"], b["value"], b["created_by"]) for b in listed] == [("domain", "example.com", "privacy script")]
    assert client.get("/api/v1/conversations", headers=admin).json()["conversations"] == []
    [spam] = client.get("/api/v1/conversations?spam=true", headers=admin).json()["conversations"]
    assert spam["id"] == first["conversation_id"] and spam["spam"] is True
    # The sender learns nothing: their link answers as an unknown one, and intake as usual.
    hidden = client.get(f"/c/{token}")
    assert (hidden.status_code, hidden.text) == (unknown.status_code, unknown.text) == (404, unknown.text)
    again = post(client, admin, "other.pest@example.com", "Still selling")  # same domain: blocked too
    assert again["conversation_id"] != first["conversation_id"]
    assert {c["id"] for c in client.get("/api/v1/conversations?spam=true", headers=admin).json()["conversations"]} \
        == {first["conversation_id"], again["conversation_id"]}
    bad = client.post("/api/v1/blocklist", headers=admin, json={"kind": "phone", "value": "not a number"})
    assert bad.status_code == 422 and "phone number" in bad.text
    twice = client.post("/api/v1/blocklist", headers=admin, json={"kind": "domain", "value": "example.com"})
    assert twice.status_code == 409
    back = client.post(f"/api/v1/conversations/{first['conversation_id']}/not-spam", headers=admin,
                       json={"unblock": True})
    assert back.status_code == 200 and back.json()["status"] == "open" and back.json()["spam"] is False
    assert client.get("/api/v1/blocklist", headers=admin).json()["blocked"] == []
    assert client.get(f"/c/{token}").status_code == 200
    gone = client.request("DELETE", "/api/v1/blocklist", headers=admin, json={"kind": "email", "value": "x@y.example"})
    assert gone.status_code == 404


def test_a_download_link_works_once_and_not_after_ten_minutes(client, services, clock):
    token = services.downloads.offer("audit.csv", "text/csv", lambda out: out.write(b"id,who\n1,Ann\n"))
    stored = services.downloads.folder / token
    assert oct(stored.stat().st_mode & 0o777) == "0o600"
    first = client.get(f"/downloads/{token}")
    assert first.status_code == 200 and first.content == b"id,who\n1,Ann\n"
    assert 'filename="audit.csv"' in first.headers["content-disposition"]
    assert first.headers["cache-control"] == "no-store"
    assert not stored.exists()  # deleted once sent
    assert client.get(f"/downloads/{token}").status_code == 404
    late = services.downloads.offer("x.csv", "text/csv", lambda out: out.write(b"x"))
    clock.advance(timedelta(minutes=11))
    assert client.get(f"/downloads/{late}").status_code == 404
    assert not (services.downloads.folder / late).exists()
