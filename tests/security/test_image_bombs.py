"""Decompression bombs sent with no credentials through the website chat, the way the probe
did: a 0.7 MB PNG of 10,000 × 11,900 16-bit pixels took 6.4 s and 1.5 GB to preview before.
Now every format is refused from its header, in a child process, before a byte is decoded:
the preview answers 404 at once, the server's own memory does not move, and an ordinary photo
still gets its preview."""

from __future__ import annotations

import json
import os
import time

import httpx
import psutil
import pytest

from helpdesk.services.base import Actor
from helpdesk.services.images import Status
from tests.security import bombs

SITE = "https://larsen.example"
VISITOR = "v" * 24


@pytest.fixture(scope="module")
def png_bomb() -> bytes:
    return bombs.png(10_000, 11_900)  # the probe's file: 119 M pixels of 16 bits


@pytest.fixture
def chat(services, server):
    channel = services.messaging.channels.add("website", "Site", {"origins": [SITE]}, Actor.system())
    return channel.config["key"]


def send_photo(server, key: str, name: str, data: bytes) -> httpx.Response:
    return httpx.post(f"{server.url}/widget/{key}/messages", params={"visitor": VISITOR},
                      headers={"Origin": SITE}, timeout=30,
                      data={"message": json.dumps({"body": f"Here is {name}"})},
                      files=[("files", (name, data, "application/octet-stream"))])


def preview_of(services, server, name: str) -> httpx.Response:
    from sqlmodel import select

    from helpdesk.models import Attachment

    with services.db.read() as s:
        attachment = s.exec(select(Attachment).where(Attachment.filename == name)).one()
    return httpx.get(server.url + services.files.signed_path(attachment, "thumb"), timeout=30)


@pytest.mark.parametrize("name", ["bomb.gif", "bomb.tiff"])
def test_formats_helpdesk_does_not_preview_are_never_decoded(services, server, chat, name):
    data = {"bomb.gif": bombs.gif, "bomb.tiff": bombs.tiff}[name]()
    assert send_photo(server, chat, name, data).status_code == 201
    answer = preview_of(services, server, name)
    assert answer.status_code == 200 and answer.content == data  # the file as it came, for the browser
    assert services.files.images.status() == Status(0, 0, 0, 0)  # nothing was handed to the decoder


@pytest.mark.parametrize("name", ["bomb.png", "bomb.jpg", "bomb.webp"])
def test_a_bomb_in_a_previewed_format_is_refused_before_it_is_decoded(services, server, chat, png_bomb, name):
    data = {"bomb.png": lambda: png_bomb, "bomb.jpg": bombs.jpeg, "bomb.webp": bombs.webp}[name]()
    assert send_photo(server, chat, name, data).status_code == 201
    me = psutil.Process(os.getpid())
    before, started = me.memory_info().rss, time.monotonic()
    answer = preview_of(services, server, name)
    assert answer.status_code == 404 and "No preview" in answer.text  # never the bomb itself in its place
    assert time.monotonic() - started < 5
    assert me.memory_info().rss - before < 50_000_000
    assert preview_of(services, server, name).status_code == 404  # remembered, not tried again
    assert services.files.images.status().refused == 1


def test_an_ordinary_photo_still_gets_its_preview(services, server, chat):
    photo = bombs.Image_bytes("JPEG", 4000, 3000)  # a phone's 12 M-pixel photo
    assert send_photo(server, chat, "bike.jpg", photo).status_code == 201
    answer = preview_of(services, server, "bike.jpg")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg"
    from PIL import Image
    import io

    assert max(Image.open(io.BytesIO(answer.content)).size) <= 480


@pytest.mark.parametrize("way", ["intake API", "customer page"])
def test_the_same_bomb_by_the_intake_api_and_the_customer_page_is_refused_too(services, server, png_bomb, way):
    import base64

    from helpdesk.services.conversations import IncomingMessage

    if way == "intake API":
        token = services.tokens.create("form", actor=Actor.system(), scopes=["intake"]).plaintext
        sent = httpx.post(f"{server.url}/api/v1/messages", headers={"Authorization": f"Bearer {token}"}, timeout=60,
                          json={"customer": {"email": "ida@example.com"}, "body": "photo",
                                "attachments": [{"filename": "via-api.png",
                                                 "data": base64.b64encode(png_bomb).decode()}]})
        assert sent.status_code == 201, sent.text
        name = "via-api.png"
    else:
        made = services.conversations.receive(IncomingMessage(body="Hello", email="ida@example.com"))
        link = services.conversations.get(made.conversation_id).conversation.public_token
        sent = httpx.post(f"{server.url}/c/{link}", data={"body": "photo"}, timeout=60,
                          files=[("files", ("via-page.png", png_bomb, "image/png"))])
        assert sent.status_code in (200, 303)
        name = "via-page.png"
    answer = preview_of(services, server, name)
    assert answer.status_code == 404 and "No preview" in answer.text
