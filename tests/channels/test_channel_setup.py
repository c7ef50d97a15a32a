"""Channels as a shop sets them up while Helpdesk runs. The SMS phone: `--callback-url` given
as the *address* the phone reaches Helpdesk by (no path), as the help says; `channel check`
proves that way works by asking the phone and calling the address as the phone will, and
says in one line when it reaches nothing. The website chat: the line to paste names the
port the running Helpdesk serves on, and says which visitors can reach it. A real server
process, the real command line, the fake phone."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from tests.channels.fakes import FakePhone
from tests.cli import DATABASE_ENV, ROOT, run
from tests.helpers import free_port, wait_until_healthy

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("database_env")]


def cli(data_dir, *args):
    return run(*args, "--data-dir", str(data_dir))


@pytest.fixture
def server(tmp_path):
    data, port = tmp_path / "data", free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    env.update(DATABASE_ENV, HELPDESK_DATA_DIR=str(data), HELPDESK_PORT=str(port), HELPDESK_MDNS="0")
    token = run("token", "create", "reader", "--scope", "read",
                env={"HELPDESK_DATA_DIR": str(data)}).stdout.strip().splitlines()[-1]
    process = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve"], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"  # it listens on every address, as a shop's does
    wait_until_healthy(base, process)
    yield {"data": data, "base": base, "token": token, "process": process, "port": port}
    process.terminate()
    process.wait(timeout=20)


def test_a_phone_given_helpdesks_address_as_callback_receives_texts_and_check_proves_the_way(server):
    phone = FakePhone().on()
    try:
        added = cli(server["data"], "channel", "add", "sms-gateway", "--name", "Front desk phone",
                    "--url", phone.url_with_password(), "--callback-url", server["base"])
        assert added.returncode == 0, added.stderr
        webhook = f"{server['base']}/api/v1/channels/sms-gateway/Front%20desk%20phone"
        assert webhook in added.stdout  # the path was added to the address the shop typed

        checked = cli(server["data"], "channel", "check", "Front desk phone")
        assert (checked.returncode, checked.stdout.strip()) == (0, "Front desk phone: answers"), checked.stderr
        assert {h["url"] for h in phone.webhooks.values()} == {webhook}  # the phone holds the full address

        assert phone.text_in("+15550100", "Is my bike ready?").status_code == 200
        headers = {"Authorization": f"Bearer {server['token']}"}
        found = httpx.get(server["base"] + "/api/v1/conversations", headers=headers).json()
        assert [c["customer"]["phone"] for c in found["conversations"]] == ["+15550100"]
        listed = cli(server["data"], "channel", "list").stdout
        assert "last text or report" in listed and "nothing received" not in listed
    finally:
        phone.off()


def test_check_says_in_one_line_when_the_callback_address_reaches_nothing(server):
    phone = FakePhone().on()
    nothing = f"http://127.0.0.1:{free_port()}"
    try:
        assert cli(server["data"], "channel", "add", "sms-gateway", "--name", "Phone", "--url",
                   phone.url_with_password(), "--callback-url", nothing).returncode == 0
        checked = cli(server["data"], "channel", "check", "Phone")
        assert checked.returncode == 1
        assert checked.stderr.strip() == (f"Phone: texts would be lost: nothing answers at {nothing}/api/v1/channels/"
                                          "sms-gateway/Phone; is Helpdesk running, and is that the address the phone "
                                          "reaches it by?")
        # An address that answers, but is not this channel's webhook (the site's own server, say).
        assert cli(server["data"], "channel", "add", "sms-gateway", "--name", "Other", "--url",
                   phone.url_with_password(), "--callback-url", server["base"] + "/not/the/webhook").returncode == 0
        wrong = cli(server["data"], "channel", "check", "Other")
        assert wrong.returncode == 1 and len(wrong.stderr.strip().splitlines()) == 1
        assert "answered 200 but is not this channel's webhook" in wrong.stderr  # the agent app answers any path
    finally:
        phone.off()


def test_the_chats_line_names_the_running_servers_port_and_who_can_reach_it(server):
    added = cli(server["data"], "channel", "add", "website", "--name", "Site", "--origin", "https://larsen.example")
    assert added.returncode == 0, added.stderr
    line = added.stdout.strip().splitlines()[-1]  # the last line is the one to paste
    assert line.startswith("<script src=\"http://") and f":{server['port']}/widget.js\" data-helpdesk=" in line
    assert "works only for visitors on the shop's own network" in added.stderr
    assert "HELPDESK_PUBLIC_URL" in added.stderr
    answer = httpx.get(f"http://127.0.0.1:{server['port']}/widget.js")  # the line's script is really there
    assert answer.status_code == 200 and "data-helpdesk" not in answer.text and "/widget-" in answer.text

    public = run("channel", "add", "website", "--name", "Public", "--origin", "https://larsen.example",
                 "--data-dir", str(server["data"]), env={"HELPDESK_PUBLIC_URL": "https://help.larsen.example"})
    assert public.returncode == 0, public.stderr
    assert public.stdout.strip().splitlines()[-1].startswith('<script src="https://help.larsen.example/widget.js"')
    assert "Visitors anywhere reach it through https://help.larsen.example." in public.stdout
