"""`python main.py mailbox …` as an owner runs it, against the real mail servers; and a
mailbox added from the command line while Helpdesk runs, picked up without a restart."""

from __future__ import annotations

import mailbox as stdlib_mailbox
import os
import subprocess
import sys

import httpx
import pytest

from tests.cli import DATABASE_ENV, ROOT, run
from tests.helpers import free_port, wait_until_healthy
from tests.mailservers import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("database_env")]


def cli(data_dir, *args):
    return run(*args, "--data-dir", str(data_dir))


@pytest.mark.sqlite_only  # the command line's words; its services run on PostgreSQL elsewhere
def test_add_list_check_and_remove_and_a_wrong_password_is_one_line(tmp_path, dovecot, smtp, user):
    data = tmp_path / "data"
    added = cli(data, "mailbox", "add", "--name", "Support", "--address", f"{user}@shop.example",
                "--imap", dovecot.url(user), "--smtp", smtp.url, "--poll-seconds", "30")
    assert added.returncode == 0, added.stderr
    assert "secret" not in added.stdout + added.stderr
    assert "unencrypted" not in added.stderr  # loopback: no warning
    listed = cli(data, "mailbox", "list")
    assert listed.returncode == 0 and f"imap://{user}:••••@127.0.0.1:{dovecot.port}" in listed.stdout
    assert "secret" not in listed.stdout
    checked = cli(data, "mailbox", "check", "Support")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip() == "Support: IMAP and SMTP both work"

    cli(data, "mailbox", "add", "--name", "Sales", "--address", "sales@shop.example",
        "--imap", dovecot.url(user, password="not-the-password"), "--smtp", f"smtp://127.0.0.1:{free_port()}")
    wrong = cli(data, "mailbox", "check", "Sales")
    assert wrong.returncode == 1 and wrong.stdout == ""
    lines = wrong.stderr.strip().splitlines()
    assert lines[0] == f"Sales: IMAP login refused for {user}: check the password"
    assert lines[1].startswith("Sales: cannot reach the SMTP server at 127.0.0.1:") and "connection refused" in lines[1]
    assert "Traceback" not in wrong.stderr and "not-the-password" not in wrong.stderr

    assert cli(data, "mailbox", "remove", "Sales").returncode == 0
    missing = cli(data, "mailbox", "check", "Sales")
    assert missing.returncode == 2 and missing.stderr.strip() == "helpdesk: error: there is no mailbox called Sales"
    bad = cli(data, "mailbox", "add", "--name", "X", "--address", "not-an-address", "--imap", "pop3://h",
              "--smtp", smtp.url)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "address: must be an email address" in bad.stderr and "imap: an IMAP URL starts with" in bad.stderr


def archive_mails(user):
    shop = f"{user}@shop.example"
    return [
        (b"From: Aiko <aiko@example.com>\r\nTo: " + shop.encode() + b"\r\nSubject: Helmet size\r\n"
         b"Message-ID: <h1@example.com>\r\nDate: Mon, 02 Mar 2026 09:00:00 +0000\r\n\r\nIs the Aero in XL?\r\n"),
        (b"From: Shop <" + shop.encode() + b">\r\nTo: aiko@example.com\r\nSubject: Re: Helmet size\r\n"
         b"Message-ID: <h2@shop.example>\r\nIn-Reply-To: <h1@example.com>\r\nDate: Mon, 02 Mar 2026 10:00:00 +0000"
         b"\r\n\r\nYes, from next week.\r\n\r\nOn Mon, Aiko wrote:\r\n> Is the Aero in XL?\r\n"),
        (b"From: Aiko <aiko@example.com>\r\nTo: " + shop.encode() + b"\r\nSubject: Re: Helmet size\r\n"
         b"Message-ID: <h3@example.com>\r\nIn-Reply-To: <h2@shop.example>\r\n"
         b"Date: Tue, 03 Mar 2026 08:00:00 +0000\r\n\r\nGreat, thanks\r\n"),
        (b"From: Ben <ben@example.com>\r\nTo: " + shop.encode() + b"\r\nSubject: Invoice\r\nMIME-Version: 1.0\r\n"
         b"Message-ID: <h4@example.com>\r\nDate: Wed, 04 Mar 2026 12:00:00 +0000\r\n"
         b"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nAttached.\r\n"
         b"--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"invoice.pdf\"\r\n"
         b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcOkw7zDtsOf\r\n--B--\r\n"),
    ]


@pytest.mark.parametrize("kind", ["mbox", "maildir"])
def test_import_brings_a_mailbox_history_threaded_and_twice_imports_nothing(tmp_path, dovecot, smtp, user, kind):
    data = tmp_path / "data"
    cli(data, "mailbox", "add", "--name", "Support", "--address", f"{user}@shop.example",
        "--imap", dovecot.url(user), "--smtp", smtp.url)
    path = tmp_path / ("history.mbox" if kind == "mbox" else "Maildir")
    archive = stdlib_mailbox.mbox(str(path)) if kind == "mbox" else stdlib_mailbox.Maildir(str(path))
    for raw in reversed(archive_mails(user)):  # stored newest first: the import orders them
        archive.add(raw)
    archive.close()
    first = cli(data, "mailbox", "import", "Support", str(path))
    assert first.returncode == 0, first.stderr
    assert "4 mails imported into 2 conversations, 0 already there" in first.stdout
    assert "4/4 mails" in first.stderr  # the progress bar
    again = cli(data, "mailbox", "import", "Support", str(path))
    assert "0 mails imported into 0 conversations, 4 already there" in again.stdout

    from helpdesk.app import HelpdeskApp
    from helpdesk.config import Settings
    from helpdesk.services.conversations import ConversationFilter

    app = HelpdeskApp(Settings(data_dir=data, database_url=DATABASE_ENV.get("HELPDESK_DATABASE_URL"))).start()
    try:
        found = {c.subject: c for c in app.services.conversations.list(ConversationFilter()).conversations}
        assert set(found) == {"Helmet size", "Invoice"}
        helmet = app.services.conversations.get(found["Helmet size"].id)
        assert [(m.direction, m.body) for m in helmet.messages] == [
            ("in", "Is the Aero in XL?"), ("out", "Yes, from next week."), ("in", "Great, thanks")]
        assert helmet.conversation.status == "resolved"
        assert helmet.conversation.created_at.isoformat() == "2026-03-02T09:00:00+00:00"
        invoice = app.services.conversations.get(found["Invoice"].id)
        assert [a.filename for a in invoice.attachments[invoice.messages[0].id]] == ["invoice.pdf"]
    finally:
        app.close()


def test_a_mailbox_added_while_helpdesk_runs_is_fetched_and_answered_without_a_restart(
        tmp_path, dovecot, smtp, user):
    data = tmp_path / "data"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    env.update(DATABASE_ENV, HELPDESK_DATA_DIR=str(data), HELPDESK_HOST="127.0.0.1", HELPDESK_PORT=str(port),
               HELPDESK_PUBLIC_URL="https://help.shop.example")
    made = run("token", "create", "bot", "--scope", "read,reply", env={"HELPDESK_DATA_DIR": str(data)})
    token = made.stdout.strip().splitlines()[-1]
    server = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base, server)
        added = cli(data, "mailbox", "add", "--name", "Support", "--address", f"{user}@shop.example",
                    "--imap", dovecot.url(user), "--smtp", smtp.url)
        assert added.returncode == 0, added.stderr
        dovecot.append(user, b"From: Aiko <aiko@example.com>\r\nTo: shop\r\nSubject: Broken bell\r\n"
                             b"Message-ID: <bell@example.com>\r\n\r\nThe bell fell off.\r\n")
        headers = {"Authorization": f"Bearer {token}"}

        def listed():
            return httpx.get(base + "/api/v1/conversations", headers=headers).json()["conversations"]

        [conversation] = wait_until(listed, timeout=20, what="the mail in the inbox")
        assert conversation["channel"] == "email" and conversation["subject"] == "Broken bell"
        answered = httpx.post(base + f"/api/v1/conversations/{conversation['id']}/replies", headers=headers,
                              json={"body": "A new bell is in the post."})
        assert answered.status_code == 201 and answered.json()["delivery"]["status"] == "queued"
        [sent] = smtp.wait_for(1)
        assert sent.message["In-Reply-To"] == "<bell@example.com>"
        assert "https://help.shop.example/c/" in sent.message.get_body(("plain",)).get_content()
        wait_until(lambda: httpx.get(base + f"/api/v1/conversations/{conversation['id']}", headers=headers)
                   .json()["messages"][-1]["delivery"]["status"] == "sent", what="sent in the API")
    finally:
        server.terminate()
        server.wait(timeout=20)
