"""A shop's website on one loopback port embedding the chat from Helpdesk on another (two
origins), as the chat's browser tests use it: a plain page with hostile CSS, a well-formed
page (landmarks, a heading) for the accessibility checks, a dark site, and signed-in pages."""

from __future__ import annotations

import hashlib
import hmac
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import sync_playwright

from helpdesk.app import HelpdeskApp, ServerThread
from helpdesk.config import Settings
from helpdesk.services.base import Actor
from tests.browser import CHROMIUM, CHROMIUM_ARGS

HOSTILE_CSS = "<style>* { color: rgb(255, 0, 0) !important; font-size: 40px !important; }</style>"
DARK_SITE = "<style>:root { color-scheme: light dark; } body { background: #111; color: #eee; }</style>"


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # type: ignore[no-untyped-def]
        pass


@pytest.fixture
def shop_site(tmp_path, new_database):
    """Helpdesk on one port, the shop's website (static files) on another: two origins."""
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    site = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(site_dir)))
    threading.Thread(target=site.serve_forever, args=(0.05,), daemon=True).start()
    site_origin = f"http://127.0.0.1:{site.server_address[1]}"
    app = HelpdeskApp(Settings(data_dir=tmp_path / "data", database_url=new_database(), host="127.0.0.1",
                               port=0)).start()
    ann = app.services.agents.create("ann@shop.example", "Ann Agent", "ann-password", role="admin",
                                     actor=Actor.system())
    chat = app.services.messaging.channels.add("website", "Site", {"origins": [site_origin]}, Actor.system())
    secret = app.services.messaging.channels.secrets_of(chat)["user_secret"]
    with ServerThread(app) as server:
        key = chat.config["key"]
        script = f'<script src="{server.url}/widget.js" data-helpdesk="{key}" async></script>'
        (site_dir / "index.html").write_text(f"<!doctype html><title>Bike shop</title>{HOSTILE_CSS}"
                                             f"<h1>Larsen Bikes</h1><p>Our shop.</p>{script}")
        (site_dir / "shop.html").write_text(f'<!doctype html><html lang="en"><title>Larsen Bikes</title>'
                                            f"<main><h1>Larsen Bikes</h1><p>Road and city bikes, and a workshop.</p>"
                                            f"</main>{script}</html>")
        (site_dir / "dark.html").write_text(f'<!doctype html><html lang="en"><title>Night shop</title>{DARK_SITE}'
                                            f"<main><h1>Night shop</h1></main>{script}</html>")
        user_hash = hmac.new(secret.encode(), b"member-7", hashlib.sha256).hexdigest()
        signed = script.replace(" async>", f' data-user-id="member-7" data-user-hash="{user_hash}" async>')
        (site_dir / "account.html").write_text(f"<!doctype html><title>Account</title><p>Your account</p>{signed}")
        forged = signed.replace(user_hash, "0" * 64)
        (site_dir / "forged.html").write_text(f"<!doctype html><title>Account</title>{forged}")
        yield {"app": app, "url": server.url, "site": site_origin, "ann": ann, "key": key}
    app.close()
    site.shutdown()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


