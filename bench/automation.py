"""Automation benchmark: intake with 50 active rules against intake with none, on two fresh
servers of the same build, the same load; then how long the rules take to catch up with what
was posted, and a check that every message got its rules' work exactly once.

    python bench/automation.py [--messages 4000] [--concurrency 16] [--rules 50]
    python bench/automation.py --profile      # where a pass's time goes (cProfile of the writer thread)

Two sets of 50 rules, on the 'conversation created' and 'customer message' triggers: typical
(keyword routers, one word each, and a round-robin assignment: a message matches one or two)
and heavy (regular expressions, business hours, domains, channels, a rule for every message:
about five match each message).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from httpload import build_request, run_load  # noqa: E402
from tests.helpers import free_port, wait_until_healthy  # noqa: E402

WORDS = ["refund", "broken", "invoice", "delivery", "warranty", "size", "colour", "discount", "return", "repair",
         "helmet", "brake", "chain", "tyre", "saddle", "pedal", "battery", "charger", "light", "lock"]


def typical_rules(count: int) -> dict:
    """A shop's routers: each rule looks for its own word, so a message matches one or two of them."""
    rules = []
    for i in range(count - 1):
        word = f"{WORDS[i % len(WORDS)]}{i // len(WORDS) or ''}"
        field = ("text", "subject")[i % 2]
        action = {"type": "add_tags", "tags": [word]} if i % 3 else {"type": "priority", "value": "high"}
        rules.append({"name": f"rule-{i}", "title": f"Rule {i}", "enabled": True,
                      "trigger": ("customer_message", "conversation_created")[i % 2],
                      "conditions": {"match": "all", "items": [{"field": field, "op": "contains", "value": word}]},
                      "actions": [action]})
    rules.append({"name": "assign", "title": "Assign", "enabled": True, "trigger": "conversation_created",
                  "conditions": {"match": "all", "items": [{"field": "assignee", "op": "is", "value": "nobody"}]},
                  "actions": [{"type": "assign", "to": "round_robin", "agents": [], "cap": None}]})
    return {"format": "helpdesk-rules", "version": 1, "rules": rules}


def heavy_rules(count: int) -> dict:
    """Broad rules: regular expressions, business hours, domains and channels; about five match a message."""
    rules = []
    for i in range(count - 2):
        word = WORDS[i % len(WORDS)]
        trigger = "conversation_created" if i % 2 else "customer_message"
        if i % 5 == 0:
            conditions = [{"field": "text", "op": "matches", "value": rf"\b{word}s?\b"}]
        elif i % 5 == 1:
            conditions = [{"field": "text", "op": "contains", "value": word},
                          {"field": "business_hours", "op": "is", "value": "inside"}]
        elif i % 5 == 2:
            conditions = [{"field": "customer_domain", "op": "is", "value": f"{word}.example"}]
        elif i % 5 == 3:
            conditions = [{"field": "channel", "op": "is", "value": "api"},
                          {"field": "text", "op": "contains", "value": word}]
        else:
            conditions = [{"field": "subject", "op": "contains", "value": word}]
        action = {"type": "add_tags", "tags": [word]} if i % 3 else {"type": "priority", "value": "high"}
        rules.append({"name": f"rule-{i}", "title": f"Rule {i}", "enabled": True, "trigger": trigger,
                      "conditions": {"match": "all", "items": conditions}, "actions": [action]})
    rules.append({"name": "tag-all", "title": "Tag all", "enabled": True, "trigger": "customer_message",
                  "conditions": {"match": "all", "items": []}, "actions": [{"type": "add_tags", "tags": ["seen"]}]})
    rules.append({"name": "assign", "title": "Assign", "enabled": True, "trigger": "conversation_created",
                  "conditions": {"match": "all", "items": [{"field": "assignee", "op": "is", "value": "nobody"}]},
                  "actions": [{"type": "assign", "to": "round_robin", "agents": [], "cap": None}]})
    return {"format": "helpdesk-rules", "version": 1, "rules": rules}


def one_server(rules: int, kind: str, args: argparse.Namespace) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="helpdesk-bench-automation-"))
    port = free_port()
    env = {**os.environ, "HELPDESK_DATA_DIR": str(data_dir), "HELPDESK_HOST": "127.0.0.1", "HELPDESK_PORT": str(port),
           "HELPDESK_INTAKE_PER_MINUTE": "0", "HELPDESK_MDNS": "0"}
    cli = [sys.executable, str(ROOT / "main.py")]

    def run(*words: str) -> str:
        return subprocess.run([*cli, *words], env=env, capture_output=True, text=True, check=True).stdout

    token = run("token", "create", "bench").strip().splitlines()[-1]
    for i in range(3):
        run("admin", "create", "--email", f"agent{i}@shop.example", "--name", f"Agent {i}", "--password",
            "bench-password", "--role", "agent")
    if rules:
        (data_dir / "rules.json").write_text(json.dumps((typical_rules if kind == "typical" else heavy_rules)(rules)))
        run("rules", "import", str(data_dir / "rules.json"))
    server = subprocess.Popen([*cli, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", server)
        host, auth = f"127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}
        run_load("127.0.0.1", port, 300, 4, lambda i: build_request("GET", "/api/v1/health", host))
        started = time.monotonic()
        load = run_load("127.0.0.1", port, args.messages, args.concurrency, lambda i: build_request(
            "POST", "/api/v1/messages", host, auth,
            {"customer": {"email": f"customer{i % 400}@{WORDS[i % 7]}.example", "name": f"Customer {i % 400}"},
             "subject": f"About my {WORDS[i % 11]}",
             "body": f"Message {i}: my {WORDS[i % 13]}{i % 3 or ''} has a problem, can I get a {WORDS[(i * 7) % 20]}?",
             "idempotency_key": f"bench-{i}"}))
        posted = time.monotonic()
        with sqlite3.connect(data_dir / "helpdesk.db") as db:
            while db.execute("SELECT count(*) FROM automation_event WHERE processed_at IS NULL").fetchone()[0]:
                if time.monotonic() - posted > 600:
                    raise SystemExit("the rules did not catch up in 10 minutes")
                time.sleep(0.05)
        drained = time.monotonic()
    finally:
        server.terminate()
        server.wait(timeout=30)
    with sqlite3.connect(data_dir / "helpdesk.db") as db:
        events = db.execute("SELECT count(*) FROM automation_event").fetchone()[0]
        runs = db.execute("SELECT count(*) FROM automation_run").fetchone()[0]
        twice = db.execute("SELECT count(*) FROM (SELECT rule_id, event_id FROM automation_run "
                           "GROUP BY rule_id, event_id HAVING count(*) > 1)").fetchone()[0]
        seen = db.execute("SELECT count(*) FROM message WHERE direction='in'").fetchone()[0]
        failed = db.execute("SELECT count(*) FROM automation_run WHERE outcome='failed'").fetchone()[0]
    return {"rules": rules, "kind": kind if rules else "none", "load": load, "drain": drained - started, "events": events, "runs": runs,
            "twice": twice, "stored": seen, "failed": failed}


def profile(args: argparse.Namespace) -> int:
    """In-process: 1,000 messages in, then one cProfile of the writer thread's passes over their events."""
    import cProfile
    import pstats

    from sqlalchemy import event

    from helpdesk.app import HelpdeskApp
    from helpdesk.config import Settings
    from helpdesk.services.base import Actor
    from helpdesk.services.conversations import IncomingMessage

    app = HelpdeskApp(Settings(data_dir=Path(tempfile.mkdtemp()), port=0)).start()
    services, statements = app.services, [0]
    event.listen(app.db.engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))
    for i in range(3):
        services.agents.create(f"agent{i}@shop.example", f"Agent {i}", "bench-password", actor=Actor.system())
    services.automation.import_rules(typical_rules(args.rules), Actor.system())
    for i in range(1000):
        services.conversations.receive(IncomingMessage(
            body=f"Message {i}: my {WORDS[i % 13]}{i % 3 or ''} has a problem, can I get a {WORDS[(i * 7) % 20]}?",
            email=f"customer{i % 400}@{WORDS[i % 7]}.example", subject=f"About my {WORDS[i % 11]}"))
    engine, profiler = services.automation.engine, cProfile.Profile()

    def passes() -> int:
        profiler.enable()
        handled = 0
        while (n := type(engine).process.__wrapped__(engine, 200)):
            handled += n
        profiler.disable()
        return handled

    before, started = statements[0], time.monotonic()
    handled = app.db.on_writer(passes)
    took = time.monotonic() - started
    stats = pstats.Stats(profiler)
    total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
    sqlalchemy = sum(row[2] for key, row in stats.stats.items() if "sqlalchemy" in key[0])  # type: ignore[attr-defined]
    sqlite = sum(row[2] for key, row in stats.stats.items() if "sqlite3.Cursor" in key[2])  # type: ignore[attr-defined]
    runs = services.automation.rules()
    print(f"{handled} events, {sum(r.runs for r in runs)} rule runs, {statements[0] - before} SQL statements "
          f"in {took:.2f} s (profiled); own time in SQLAlchemy {sqlalchemy / total:.0%}, in SQLite {sqlite / total:.0%}")
    stats.sort_stats("cumulative").print_stats(r"helpdesk", 15)
    app.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rules", type=int, default=50)
    parser.add_argument("--profile", action="store_true", help="profile one in-process pass instead")
    args = parser.parse_args()
    if args.profile:
        return profile(args)
    results = [one_server(0, "none", args), one_server(args.rules, "typical", args),
               one_server(args.rules, "heavy", args)]
    print(f"# automation benchmark, {time.strftime('%Y-%m-%d')}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, SQLite synchronous=FULL, {args.messages} messages, "
          f"{args.concurrency} clients")
    print(f"{'rules':>6}{'kind':>9}{'intake msg/s':>14}{'p50 ms':>9}{'p99 ms':>9}{'all rules done after s':>24}"
          f"{'events':>9}{'rule runs':>11}{'twice':>7}{'failed':>8}")
    for r in results:
        load = r["load"]
        print(f"{r['rules']:>6}{r['kind']:>9}{load.rate:>14.0f}{load.percentile(50):>9.1f}{load.percentile(99):>9.1f}"
              f"{r['drain']:>24.1f}{r['events']:>9}{r['runs']:>11}{r['twice']:>7}{r['failed']:>8}")
    for r in results[1:]:
        ratio = r["load"].rate / results[0]["load"].rate
        per = r["runs"] / max(1, r["stored"])
        print(f"intake with {args.rules} {r['kind']} rules ({per:.1f} rule runs a message) / without: {ratio:.0%} "
              f"({1 - ratio:.0%} slower)")
    ok = all(r["load"].ok == args.messages == r["stored"] and r["twice"] == 0 and r["failed"] == 0 for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
