"""`python main.py channel …` as an owner runs it: add, list (secrets masked), check (exit 0,
or one line why not), remove; and a channel added from the command line while Helpdesk runs
is picked up without a restart."""

from __future__ import annotations

import pytest

from tests.channels.fakes import FakePhone, FakeTelegram
from tests.cli import run

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("database_env")]


def cli(data_dir, *args):
    return run(*args, "--data-dir", str(data_dir))


@pytest.mark.sqlite_only  # the command line's words; its services run on PostgreSQL elsewhere
def test_add_list_check_and_remove_never_print_a_secret(tmp_path):
    data = tmp_path / "data"
    phone = FakePhone(password="s3cret-phone-pass").on()
    telegram = FakeTelegram(token="4242:AAsecret-bot-token").on()
    try:
        added = cli(data, "channel", "add", "sms-gateway", "--name", "Phone", "--url", phone.url_with_password(),
                    "--signing-key", "s3cret-signing-key")
        assert added.returncode == 0, added.stderr
        assert "registers its webhook with the phone" in added.stdout
        assert cli(data, "channel", "add", "telegram", "--name", "Telegram", "--token", telegram.token,
                   "--api-url", telegram.url).returncode == 0
        listed = cli(data, "channel", "list")
        assert listed.returncode == 0
        assert f"http://sms:••••@127.0.0.1:{phone.port}, signed" in listed.stdout
        assert "Telegram\ttelegram\tbot token ••••" in listed.stdout
        for run_output in (added, listed):
            text = run_output.stdout + run_output.stderr
            assert "s3cret" not in text and "AAsecret" not in text

        # Helpdesk is not running, so the phone's callback address (this PC's LAN address, which the
        # app takes over HTTPS only) cannot work: said in one line.
        unreached = cli(data, "channel", "check", "Phone")
        assert unreached.returncode == 1 and len(unreached.stderr.strip().splitlines()) == 1
        assert ("Phone: texts would be lost: nothing answers at http://" in unreached.stderr
                or "would not take Helpdesk's webhook (400: HTTPS is required" in unreached.stderr)
        assert cli(data, "channel", "check", "Telegram").returncode == 0
        phone.off()
        down = cli(data, "channel", "check", "Phone")
        assert down.returncode == 1
        assert down.stderr.strip() == "Phone: the phone at 127.0.0.1 does not answer (is it on and on this network?)"

        wrong = cli(data, "channel", "add", "telegram", "--name", "Bad", "--token", "not a token")
        assert wrong.returncode == 2 and "token: does not look like a bot token" in wrong.stderr
        assert len(wrong.stderr.strip().splitlines()) == 1

        removed = cli(data, "channel", "remove", "Phone")
        assert removed.returncode == 0 and "removed" in removed.stdout
        assert "Phone" not in cli(data, "channel", "list").stdout
    finally:
        phone.off()
        telegram.off()


def test_a_telegram_bot_added_while_helpdesk_runs_is_read_and_answered_without_a_restart(tmp_path):
    import os
    import subprocess
    import sys

    import httpx

    from tests.cli import DATABASE_ENV, ROOT
    from tests.helpers import free_port, wait_until_healthy
    from tests.mailservers import wait_until

    data, port = tmp_path / "data", free_port()
    telegram = FakeTelegram().on()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    env.update(DATABASE_ENV, HELPDESK_DATA_DIR=str(data), HELPDESK_HOST="127.0.0.1", HELPDESK_PORT=str(port))
    token = run("token", "create", "bot", "--scope", "read,reply",
                env={"HELPDESK_DATA_DIR": str(data)}).stdout.strip().splitlines()[-1]
    server = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base, server)
        added = cli(data, "channel", "add", "telegram", "--name", "Telegram", "--token", telegram.token,
                    "--api-url", telegram.url)
        assert added.returncode == 0, added.stderr
        telegram.user_writes(31337, "Hana", text="Do you repair e-bikes?")
        headers = {"Authorization": f"Bearer {token}"}
        [conversation] = wait_until(lambda: httpx.get(base + "/api/v1/conversations", headers=headers)
                                    .json()["conversations"], timeout=20, what="the Telegram message in the inbox")
        assert conversation["channel"] == "telegram"
        detail = httpx.get(base + f"/api/v1/conversations/{conversation['id']}", headers=headers).json()
        assert detail["reply_options"] == ["telegram"]
        answered = httpx.post(base + f"/api/v1/conversations/{conversation['id']}/replies", headers=headers,
                              json={"body": "Yes, bring it by.", "via": "telegram"})
        assert answered.status_code == 201, answered.text
        wait_until(lambda: [m.get("text") for m in telegram.sent] == ["Yes, bring it by."], timeout=20,
                   what="the reply at Telegram")
        refused = httpx.post(base + f"/api/v1/conversations/{conversation['id']}/replies", headers=headers,
                             json={"body": "hi", "via": "sms"})
        assert refused.status_code == 422 and "via" in refused.json()["error"]["fields"]
    finally:
        server.terminate()
        server.wait(timeout=20)
        telegram.off()
