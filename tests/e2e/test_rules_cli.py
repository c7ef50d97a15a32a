"""`python main.py rules …` as an owner runs it, against a server that keeps running."""

import json
import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.cli import DATABASE_ENV, ROOT, run
from tests.helpers import free_port, wait_until_healthy

pytestmark = pytest.mark.usefixtures("database_env")


def test_a_rule_enabled_from_the_command_line_acts_on_the_running_server(tmp_path):
    data, port = tmp_path / "data", free_port()
    token = run("token", "create", "site", "--data-dir", str(data)).stdout.strip().splitlines()[-1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    env.update({"HELPDESK_DATA_DIR": str(data), "HELPDESK_HOST": "127.0.0.1", "HELPDESK_PORT": str(port),
                "HELPDESK_MDNS": "0", **DATABASE_ENV})
    server = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base, auth = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}

    def post(email: str) -> int:
        answer = httpx.post(base + "/api/v1/messages", headers=auth, json={
            "customer": {"email": email, "name": "Ann"}, "body": "Is my bike ready?"})
        assert answer.status_code == 201, answer.text
        return answer.json()["conversation_id"]

    def replies(cid: int) -> list[str]:
        got = httpx.get(f"{base}/api/v1/conversations/{cid}", headers=auth).json()
        return [m["body"] for m in got["messages"] if m["direction"] == "out"]

    try:
        wait_until_healthy(base, server)
        before = post("early@example.com")
        enabled = run("rules", "enable", "auto-acknowledge", "--data-dir", str(data))
        assert enabled.returncode == 0, enabled.stderr
        assert enabled.stdout.startswith("auto-acknowledge: on")
        after = post("late@example.com")
        deadline = time.monotonic() + 10
        while not replies(after) and time.monotonic() < deadline:
            time.sleep(0.1)
        [reply] = replies(after)
        assert reply.startswith("Thanks, we've got your message.")
        assert replies(before) == []  # it acts from when it is on, not on what came before
        listed = run("rules", "list", "--data-dir", str(data)).stdout
        line = next(ln for ln in listed.splitlines() if ln.startswith("auto-acknowledge"))
        assert " on " in line and "1 runs" in line and "replied on the conversation page" in line
    finally:
        server.terminate()
        server.wait(timeout=15)


@pytest.mark.sqlite_only  # the command line's words; its services run on PostgreSQL elsewhere
def test_rules_export_and_import_copy_a_setup(tmp_path):
    shop, other = tmp_path / "shop", tmp_path / "other"
    assert run("rules", "enable", "round-robin", "--data-dir", str(shop)).returncode == 0
    exported = run("rules", "export", str(tmp_path / "rules.json"), "--data-dir", str(shop))
    assert exported.returncode == 0 and "4 rules written" in exported.stdout
    data = json.loads((tmp_path / "rules.json").read_text())
    assert data["format"] == "helpdesk-rules" and [r["name"] for r in data["rules"]] == [
        "round-robin", "out-of-hours", "auto-acknowledge", "follow-up"]
    data["rules"].append({"name": "vip", "title": "VIP", "enabled": True, "trigger": "customer_message",
                          "conditions": {"match": "any", "items": [
                              {"field": "customer_domain", "op": "is", "value": "bigco.example"}]},
                          "actions": [{"type": "priority", "value": "high"}]})
    (tmp_path / "rules.json").write_text(json.dumps(data))
    imported = run("rules", "import", str(tmp_path / "rules.json"), "--data-dir", str(other))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == f"imported 5 rules from {tmp_path / 'rules.json'}: 1 added, 4 replaced"
    listed = run("rules", "list", "--data-dir", str(other)).stdout
    assert "round-robin       on " in listed and "vip " in listed
    assert "When a customer message arrives, if customer's email domain is bigco.example: set priority high" in listed
    data["rules"][-1]["actions"] = [{"type": "teleport"}]
    (tmp_path / "bad.json").write_text(json.dumps(data))
    refused = run("rules", "import", str(tmp_path / "bad.json"), "--data-dir", str(other))
    assert refused.returncode == 2
    assert refused.stderr.strip().startswith("helpdesk: error: the rules were not imported (rules[4].actions[0].type:")
    (tmp_path / "broken.json").write_text("{not json")
    assert run("rules", "import", str(tmp_path / "broken.json"), "--data-dir", str(other)).stderr.startswith(
        f"helpdesk: error: {tmp_path / 'broken.json'} is not JSON")
    missing = run("rules", "disable", "nope", "--data-dir", str(other))
    assert missing.returncode == 2 and "no rule called nope (there are: round-robin" in missing.stderr
