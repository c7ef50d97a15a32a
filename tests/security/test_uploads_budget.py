"""Files anyone can send without an account: nothing of a request to a link that opens
nothing is read or kept; a burst is refused before anything is saved; bytes kept per
address, sender and hour are bounded; a refused message's files leave the store at once.
Replays of the probe's findings, each with the bytes on disk counted."""

from __future__ import annotations

import json
import os
import time

import httpx
import pytest

from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage

MB = 1_000_000


def stored(services) -> int:
    """Bytes in the file store (thumbnails aside)."""
    root = services.files.root
    return sum(os.path.getsize(os.path.join(folder, name)) for folder, dirs, names in os.walk(root)
               for name in names if "thumbs" not in folder)


def two_files(size: int = 20 * MB) -> list:
    return [("files", (f"scan{i}.bin", os.urandom(1024) + bytes(size - 1024), "application/octet-stream"))
            for i in range(2)]


@pytest.fixture
def link(services):
    result = services.conversations.receive(IncomingMessage(body="My wheel wobbles", email="nora@example.com"))
    return services.conversations.get(result.conversation_id).conversation.public_token


def test_files_posted_to_a_link_that_opens_nothing_never_reach_the_disk(services, server):
    before = stored(services)
    for _ in range(3):
        started = time.monotonic()
        answer = httpx.post(f"{server.url}/c/NOT-A-TOKEN", data={"body": "hi"}, files=two_files(), timeout=60)
        assert answer.status_code == 404
    assert stored(services) == before  # before: 120 MB left until the nightly clean-up
    assert time.monotonic() - started < 5


def test_a_burst_on_one_link_is_refused_before_its_files_are_saved(services, server, link):
    small = [("files", ("note.txt", b"a" * 1000, "text/plain"))]
    answers = [httpx.post(f"{server.url}/c/{link}", data={"body": f"try {i}"}, files=small, timeout=30,
                          follow_redirects=False).status_code for i in range(17)]
    assert answers[:15] == [303] * 15 and set(answers[15:]) == {429}
    before = stored(services)
    late = httpx.post(f"{server.url}/c/{link}", data={"body": "more"}, files=two_files(), timeout=60)
    assert late.status_code == 429 and stored(services) == before


def test_bytes_kept_per_address_an_hour_are_bounded_and_a_refused_request_keeps_nothing(services, server, link,
                                                                                          clock):
    sizes = []
    for i in range(3):  # 40 MB each: the third is past the 100 MB an address may leave at once
        answer = httpx.post(f"{server.url}/c/{link}", data={"body": f"scans {i}"}, files=two_files(),
                            timeout=60, follow_redirects=False)
        sizes.append((answer.status_code, stored(services)))
    assert [code for code, _ in sizes] == [303, 303, 429]
    assert sizes[2][1] == sizes[1][1]  # the refused request's 40 MB are gone already
    assert "Too many requests" in answer.text and int(answer.headers["retry-after"]) > 60
    clock.advance(seconds=30 * 60)  # half an hour later, 100 MB more have been earned back
    again = httpx.post(f"{server.url}/c/{link}", data={"body": "scans later"}, files=two_files(), timeout=60,
                       follow_redirects=False)
    assert again.status_code == 303


def test_a_message_refused_for_its_size_leaves_no_file_behind(services, server, link):
    before = stored(services)
    big = [("files", (f"part{i}.bin", os.urandom(1024) + bytes(20 * MB), "application/octet-stream"))
           for i in range(3)]  # 60 MB: over the 50 MB a message may carry
    answer = httpx.post(f"{server.url}/c/{link}", data={"body": "three big scans"}, files=big, timeout=60)
    assert answer.status_code == 413
    assert stored(services) == before


def test_the_chat_keeps_files_within_the_same_budget(services, server):
    channel = services.messaging.channels.add("website", "Site", {"origins": ["https://larsen.example"]},
                                              Actor.system())
    url = f"{server.url}/widget/{channel.config['key']}/messages"
    codes = []
    for i in range(3):
        answer = httpx.post(url, params={"visitor": "v" * 24}, headers={"Origin": "https://larsen.example"},
                            data={"message": json.dumps({"body": f"photos {i}"})}, files=two_files(), timeout=60)
        codes.append(answer.status_code)
    assert codes == [201, 201, 429]
    assert "too many files" in answer.json()["error"]["message"]
    huge = httpx.post(url, headers={"Origin": "https://larsen.example", "Content-Type": "application/json"},
                      content=b'{"visitor": "' + b"w" * 24 + b'", "body": "' + b"x" * 60 * MB + b'"}', timeout=60)
    assert huge.status_code == 413  # a JSON chat message is small: refused as it streams, not read whole
