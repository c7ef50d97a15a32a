"""Upgrading a real shop: the previous release's own code (checked out of git into a temporary
folder and run as it was) makes a database with an owner, API tokens, conversations with files,
a bot's replies, an automation rule turned on and a website chat; then this version opens it,
backs it up first, migrates it, and every conversation, file and setting reads back the same."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from helpdesk import __version__
from helpdesk.app import HelpdeskApp
from helpdesk.config import Settings
from helpdesk.db.upgrade import NewerDatabase, open_database
from tests.helpers import free_port, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]
# The release before this one: its version and the commit it was made from.
PREVIOUS = ("0.1.0", "aa511ad48c8b0fcc0b7a26e97072d41118820cb0")
pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]


def checkout(commit: str, into: Path) -> Path:
    if subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=ROOT, capture_output=True).returncode:
        pytest.skip(f"the previous release's commit {commit[:10]} is not in this clone (a shallow one?)")
    archive = subprocess.run(["git", "archive", commit, "helpdesk", "main.py", "assets"], cwd=ROOT,
                             capture_output=True, check=True).stdout
    into.mkdir()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


class Helpdesk:
    """One version's command line and server, on one data folder."""

    def __init__(self, code: Path, data: Path) -> None:
        self.code, self.data = code, data
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_") and k != "DISPLAY"}
        # The checked-out tree comes first on the path, before this tree's installed package.
        self.env.update(PYTHONPATH=str(code), HELPDESK_DATA_DIR=str(data))

    def run(self, *args: str) -> str:
        done = subprocess.run([sys.executable, str(self.code / "main.py"), *args], cwd=self.code, env=self.env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def serve(self) -> tuple[subprocess.Popen, str]:
        port = free_port()
        process = subprocess.Popen([sys.executable, str(self.code / "main.py"), "serve", "--host", "127.0.0.1",
                                    "--port", str(port)], cwd=self.code, env=self.env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, process, timeout=60)
        return process, url


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=30)


def test_a_database_made_by_the_previous_release_upgrades_with_everything_in_it(tmp_path):
    old_version, commit = PREVIOUS
    old = Helpdesk(checkout(commit, tmp_path / "previous"), tmp_path / "data")
    assert old.run("--version").strip() == f"helpdesk {old_version}"
    old.run("admin", "create", "--email", "olga@shop.example", "--name", "Olga Owner", "--password",
            "owner-password")
    intake = old.run("token", "create", "website").strip().splitlines()[-1]
    bot = old.run("token", "create", "Order bot", "--scope", "read,reply").strip().splitlines()[-1]
    old.run("rules", "enable", "auto-acknowledge")
    old.run("channel", "add", "website", "--name", "Shop site", "--origin", "https://larsen-bikes.example")
    photo = os.urandom(40_000)
    invoice = b"%PDF-1.4\n" + os.urandom(20_000)
    process, url = old.serve()
    try:
        posted = []
        for n, (name, body, files) in enumerate([
                ("Kim", "My bike's chain snapped", [("chain.jpg", photo)]),
                ("Lea", "Invoice for order 1042?", [("invoice.pdf", invoice)]),
                ("Max", "Do you service e-bikes?", [])]):
            answer = httpx.post(url + "/api/v1/messages", headers={"Authorization": f"Bearer {intake}"}, json={
                "customer": {"email": f"{name.lower()}@example.com", "name": name}, "body": body,
                "attachments": [{"filename": f, "data": base64.b64encode(b).decode()} for f, b in files],
                "idempotency_key": f"upgrade-{n}"})
            assert answer.status_code == 201, answer.text
            posted.append(answer.json())
        reply = httpx.post(f"{url}/api/v1/conversations/{posted[2]['conversation_id']}/replies",
                           headers={"Authorization": f"Bearer {bot}"},
                           json={"body": "Yes, every make of e-bike.", "then": "resolved"})
        assert reply.status_code in (200, 201), reply.text
        before = {p["conversation_id"]: httpx.get(f"{url}/api/v1/conversations/{p['conversation_id']}",
                                                  headers={"Authorization": f"Bearer {bot}"}).json()
                  for p in posted}
    finally:
        stop(process)

    new = Helpdesk(ROOT, tmp_path / "data")
    process, url = new.serve()
    try:
        assert httpx.get(url + "/api/v1/health").json()["version"] == __version__
        downloaded = 0
        for conversation_id, was in before.items():
            now = httpx.get(f"{url}/api/v1/conversations/{conversation_id}",
                            headers={"Authorization": f"Bearer {bot}"}).json()
            assert now["status"] == was["status"] and now["customer"] == was["customer"]
            assert [(m["body"], m["direction"]) for m in now["messages"]] == \
                [(m["body"], m["direction"]) for m in was["messages"]]
            for message in now["messages"]:
                for attachment in message.get("attachments", []):
                    got = httpx.get(httpx.URL(url).join(attachment["url"]), headers={"Authorization": f"Bearer {bot}"})
                    assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == attachment["sha256"]
                    downloaded += 1
        assert downloaded == 2
        kinds = {a["filename"]: a["size"] for c in before.values() for m in c["messages"]
                 for a in m.get("attachments", [])}
        assert kinds == {"chain.jpg": len(photo), "invoice.pdf": len(invoice)}
        # the old intake token still works, and the same idempotency key still adds nothing
        again = httpx.post(url + "/api/v1/messages", headers={"Authorization": f"Bearer {intake}"}, json={
            "customer": {"email": "max@example.com", "name": "Max"}, "body": "Do you service e-bikes?",
            "idempotency_key": "upgrade-2"})
        assert again.status_code == 200 and again.json()["message_id"] == posted[2]["message_id"]
    finally:
        stop(process)

    states = {line.split()[0]: line.split()[1] for line in new.run("rules", "list").splitlines()
              if line and not line.startswith(" ")}
    assert states == {"round-robin": "off", "out-of-hours": "off", "auto-acknowledge": "on", "follow-up": "off"}
    assert "Shop site" in new.run("channel", "list")
    archive = tmp_path / "data" / "backups" / f"pre-upgrade-{old_version}-{__version__}.zip"
    with zipfile.ZipFile(archive) as backup:
        names = backup.namelist()
    assert "helpdesk.db" in names and sum(n.startswith("files/") for n in names) == 2

    app = HelpdeskApp(Settings(data_dir=tmp_path / "data")).start()
    try:
        owner = next(a for a in app.services.agents.list() if a.email == "olga@shop.example")
        assert app.services.release.previous_version() == old_version
        assert app.services.release.whats_new(owner.id)  # shown once, after this upgrade
    finally:
        app.close()

    # This version stamped itself in: a build older than it that checks (every one from now on)
    # refuses the database instead of running on it.
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'data' / 'helpdesk.db'}")
    try:
        with pytest.raises(NewerDatabase, match=f"last used by Helpdesk {__version__}, newer than this {old_version}"):
            open_database(engine, old_version, None, None, None)
    finally:
        engine.dispose()
