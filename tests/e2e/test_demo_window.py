"""The demo shop a new installation offers (first screen, desktop window): a Helpdesk of its own
on `demo` inside the data folder, on loopback only (its accounts' password is published), filled
with the bike shop; the shop's own database is left as it was."""

from __future__ import annotations

import sqlite3

import httpx
import psutil
import pytest

from helpdesk.host.demo_window import start_demo_server

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]


def test_the_demo_shop_runs_apart_from_the_shops_own_data_on_loopback_only(tmp_path):
    data = tmp_path / "data"
    server, url = start_demo_server(data)
    try:
        port = int(url.rsplit(":", 1)[1])
        assert httpx.get(url + "/api/v1/health").status_code == 200
        listening = [c.laddr for p in [psutil.Process(server.pid), *psutil.Process(server.pid).children(True)]
                     for c in p.net_connections("tcp") if c.status == psutil.CONN_LISTEN and c.laddr.port == port]
        assert listening and {a.ip for a in listening} == {"127.0.0.1"}
    finally:
        server.terminate()
        assert server.wait(timeout=30) == 0
    assert not (data / "helpdesk.db").exists()  # the shop's own Helpdesk is untouched
    with sqlite3.connect(data / "demo" / "helpdesk.db") as demo:
        assert demo.execute("SELECT count(*) FROM conversation").fetchone()[0] == 80
        assert demo.execute("SELECT role FROM agent WHERE email = 'sam@bikeshop.example'").fetchone() == ("admin",)
