"""Files on every message: stored once by content, named safely, typed by their bytes,
limited, never served as a page, and reachable without a token only by a signed link."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import time

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from helpdesk.app import HelpdeskApp
from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.files import safe_filename
from tests.conftest import post_message


def png(colour: str = "red", size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'


def attach(name: str, data: bytes, claimed: str = "image/png") -> dict:
    return {"filename": name, "content_type": claimed, "data": base64.b64encode(data).decode()}


def files_of(client, auth, conversation_id: int) -> list[dict]:
    detail = client.get(f"/api/v1/conversations/{conversation_id}", headers=auth).json()
    return [a for m in detail["messages"] for a in m["attachments"]]


def test_a_photo_sent_as_json_comes_back_typed_by_its_bytes(client, auth, services):
    photo = png()
    created = post_message(client, auth, body="The frame is cracked", attachments=[
        attach("crack.png", photo, claimed="text/plain")]).json()
    [file] = files_of(client, auth, created["conversation_id"])
    assert file["filename"] == "crack.png" and file["content_type"] == "image/png"  # not the claimed type
    assert file["size"] == len(photo) and file["sha256"] == hashlib.sha256(photo).hexdigest()
    download = client.get(file["url"], headers=auth)
    assert download.status_code == 200 and download.content == photo
    assert download.headers["x-content-type-options"] == "nosniff"


def test_files_sent_as_multipart_stream_in_and_the_same_file_is_stored_once(client, auth, services):
    photo = png("blue")
    message = json.dumps({"customer": {"email": "m@example.com"}, "body": "Two copies of one photo"})
    sent = client.post("/api/v1/messages", headers=auth, data={"message": message},
                       files=[("files", ("a.png", photo, "image/png")), ("files", ("b.png", photo, "image/png"))])
    assert sent.status_code == 201, sent.text
    files = files_of(client, auth, sent.json()["conversation_id"])
    assert [f["filename"] for f in files] == ["a.png", "b.png"] and files[0]["sha256"] == files[1]["sha256"]
    stored = list(services.files.root.glob("??/??/*"))
    assert len(stored) == 1 and stored[0].read_bytes() == photo


@pytest.fixture
def limited(settings, clock):
    app = HelpdeskApp(settings.with_overrides(max_file_mb=1, max_message_mb=2), clock=clock).start()
    token = app.services.tokens.create("t", actor=Actor.system()).plaintext
    with TestClient(app.asgi, base_url="http://testserver") as client:
        yield app, client, {"Authorization": f"Bearer {token}"}
    app.close()


def test_files_at_the_limit_pass_and_over_it_are_413_with_nothing_kept(limited):
    app, client, auth = limited
    exactly = b"\0" * 1_000_000
    ok = post_message(client, auth, attachments=[attach("a.bin", exactly)])
    assert ok.status_code == 201
    over = post_message(client, auth, customer={"email": "o@example.com"},
                        attachments=[attach("big.bin", exactly + b"\0")])
    assert over.status_code == 413 and "1.0 MB" in over.json()["error"]["message"]
    together = post_message(client, auth, customer={"email": "t@example.com"}, attachments=[
        attach(f"part{i}.bin", bytes([i]) * 900_000) for i in range(3)])
    assert together.status_code == 413 and "a message may carry at most" in together.json()["error"]["message"]
    multipart = client.post("/api/v1/messages", headers=auth, files=[("files", ("big.bin", exactly + b"\0"))],
                            data={"message": json.dumps({"customer": {"email": "p@example.com"}, "body": "x"})})
    assert multipart.status_code == 413
    listed = client.get("/api/v1/conversations", headers=auth).json()["conversations"]
    assert len(listed) == 1  # only the message that fitted
    leftovers = [p for p in app.services.files.root.rglob("*") if p.is_file() and p.name.startswith(".upload-")]
    assert leftovers == []


@pytest.mark.parametrize("given, shown", [
    ("../../etc/passwd", "passwd"), ("C:\\Windows\\evil.exe", "evil.exe"), ("a\x00b.txt", "ab.txt"),
    ("invoice\u202egnp.exe", "invoicegnp.exe"), ("zero\u200bwidth.pdf", "zerowidth.pdf"), ("CON.txt", "_CON.txt"),
    ("   ", "file"), ("....", "file"), ("x" * 300 + ".pdf", "x" * 196 + ".pdf")])
def test_hostile_filenames_are_made_safe(given, shown, client, auth):
    assert safe_filename(given) == shown
    created = post_message(client, auth, customer={"email": f"n{len(given)}@example.com"},
                           attachments=[attach(given, PDF)]).json()
    assert files_of(client, auth, created["conversation_id"])[0]["filename"] == shown


def test_html_and_svg_are_downloads_never_pages(client, auth, services):
    created = post_message(client, auth, attachments=[attach("page.html", HTML), attach("pic.svg", SVG),
                                                      attach("ok.png", png())]).json()
    html_file, svg_file, png_file = files_of(client, auth, created["conversation_id"])
    assert (html_file["content_type"], svg_file["content_type"]) == ("text/html", "image/svg+xml")
    for file in (html_file, svg_file):
        served = client.get(file["url"], headers=auth)
        assert served.headers["content-type"] == "application/octet-stream"
        assert served.headers["content-disposition"].startswith("attachment;")
        assert "sandbox" in served.headers["content-security-policy"]
    image = client.get(png_file["url"], headers=auth)
    assert image.headers["content-type"] == "image/png" and image.headers["content-disposition"].startswith("inline;")


def test_signed_links_open_without_a_token_until_they_expire_and_cannot_be_forged(client, auth, services, clock):
    created = post_message(client, auth, attachments=[attach("photo.png", png())]).json()
    attachment = services.files.get(files_of(client, auth, created["conversation_id"])[0]["id"])
    link = services.files.signed_path(attachment)
    assert client.get(link).status_code == 200
    thumb = client.get(services.files.signed_path(attachment, "thumb"))
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(thumb.content)).size[0] <= 320
    forged_signature = link[:-4] + ("0000" if not link.endswith("0000") else "1111")
    other_file = link.replace(f"/files/{attachment.id}/", f"/files/{attachment.id + 1}/", 1)
    later = link.replace("e=", "e=9", 1)
    for bad in (forged_signature, other_file, later, link.replace("v=file", "v=thumb")):
        assert client.get(bad).status_code == 403, bad
    clock.advance(days=8)
    assert client.get(link).status_code == 403  # expired
    assert client.get(services.files.signed_path(attachment)).status_code == 200  # a fresh one works


def test_the_customer_page_takes_a_photo_and_shows_files_inline_or_as_links(client, auth, services, ann):
    created = post_message(client, auth).json()
    token = created["conversation_url"].rsplit("/", 1)[1]
    sent = client.post(f"/c/{token}", data={"body": ""}, files=[("files", ("wheel.png", png("green"), "image/png"))],
                       follow_redirects=False)
    assert sent.status_code == 303
    staged = services.files.stage_bytes(PDF, "invoice-1042.pdf")
    services.conversations.reply(created["conversation_id"], ann, "Here is your invoice", files=[staged])
    page = client.get(f"/c/{token}").text
    assert '<img src="/files/' in page and "v=thumb" in page and 'alt="wheel.png"' in page
    assert "invoice-1042.pdf" in page and 'download>' in page
    pdf_link = page.split('href="')[-1].split('"')[0].replace("&amp;", "&")
    assert client.get(pdf_link).content == PDF


def test_webhook_payloads_carry_file_metadata_and_signed_links(client, auth, services, ann):
    services.outbox.create_webhook("http://192.168.1.9/hook", ["message.received", "message.created"], "", ann,
                                   allow_local=True)
    created = post_message(client, auth, attachments=[attach("photo.png", png())]).json()
    services.conversations.reply(created["conversation_id"], ann, "Thanks",
                                 files=[services.files.stage_bytes(PDF, "answer.pdf")])
    events = services.outbox.events_after(0)
    received, replied = [e.payload for e in events if e.type == "message.received"][0], \
        [e.payload for e in events if e.type == "message.created"][0]
    assert received["attachments"][0]["filename"] == "photo.png"
    assert replied["attachments"][0]["filename"] == "answer.pdf"
    link = replied["attachments"][0]["url"]
    assert link.startswith("http://shop.test/files/")  # the configured address, never a Host header
    assert client.get(link.replace("http://shop.test", "")).content == PDF


def test_unused_uploads_are_collected_a_day_later(services):
    kept = services.files.stage_bytes(b"used", "a.txt")
    services.conversations.receive(IncomingMessage(body="hi", email="g@example.com"), files=[kept])
    services.files.stage_bytes(b"never sent", "b.txt")
    assert services.files.collect_garbage() == 0  # too recent: it may still be sent
    for path in services.files.root.glob("??/??/*"):  # both written two days ago, as the disk sees it
        os.utime(path, (time.time() - 2 * 86400,) * 2)
    assert services.files.collect_garbage() == 1
    assert services.files.path_of(kept.sha256).exists()
