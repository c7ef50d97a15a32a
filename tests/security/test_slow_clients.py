"""The HTTP server's own budgets, on a real server over real sockets: one 50 MB header was
answered 200, and 300 connections trickling headers were held for more than 35 s. Now a
request's head is at most 64 KB (431) and must arrive within the head timeout (408, closed),
and health answers at its usual speed all the while."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from helpdesk.api import protocol


def connect(server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def test_a_huge_header_is_refused_without_being_read_whole(server):
    with connect(server) as s:
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
        try:
            for _ in range(50):  # 50 MB of header, a megabyte at a time
                s.sendall(b"a" * 1_000_000)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused and closed before it was all sent
        answer = s.recv(4096)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:80]


@pytest.mark.sqlite_only  # HTTP, not the database; and a timing taken once is steadier on one pass
def test_headers_trickled_in_are_cut_off_and_health_stays_quick(server, monkeypatch):
    monkeypatch.setattr(protocol, "HEAD_SECONDS", 1.0)
    slow = []
    for _ in range(100):
        s = connect(server)
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        slow.append(s)
    started = time.monotonic()
    timings = []
    while time.monotonic() - started < 2.5:
        for s in slow:
            try:
                s.send(b"X")  # one byte of a header, now and then
            except OSError:
                pass
        began = time.monotonic()
        assert httpx.get(f"{server.url}/api/v1/health", timeout=5).status_code == 200
        timings.append(time.monotonic() - began)
        time.sleep(0.1)
    closed = 0
    for s in slow:
        s.settimeout(2)
        try:
            data = s.recv(4096)
            closed += data.startswith(b"HTTP/1.1 408") or data == b""
        except (ConnectionResetError, socket.timeout):
            closed += 0
        finally:
            s.close()
    assert closed == len(slow)
    # Held up by the trickling clients, health would wait for them (seconds); 0.1 s leaves room
    # for `make test`'s other pass on the same two cores (a median of 61 ms was seen under a build).
    assert sorted(timings)[len(timings) // 2] < 0.1


@pytest.mark.parametrize("size", [8_000, 60_000])
def test_ordinary_large_headers_still_pass(server, size):
    answer = httpx.get(f"{server.url}/api/v1/health", headers={"Cookie": "c=" + "a" * size}, timeout=5)
    assert answer.status_code == 200
