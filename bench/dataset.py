"""A seeded, realistic dataset loaded with SQLAlchemy Core executemany (the ORM is
tens of times slower for bulk loads). Used by the read benchmarks."""

from __future__ import annotations

import random
import secrets
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert

from helpdesk.db import Database
from helpdesk.db.transfer import reset_sequences
from helpdesk.models import Agent, Conversation, Customer, CustomerIdentifier, Message
from helpdesk.services.conversations import public_token_digest

WORDS = ("order delivery parcel refund invoice helmet brake chain tyre saddle frame warranty battery "
         "return exchange size colour stock discount code payment card address courier tracking late "
         "damaged missing wheel pedal light lock gear cable service booking repair question thanks").split()
FIRST = "Ann Ben Chloe David Emma Felix Grace Hugo Isla Jonas Kira Leo Maya Noah Olivia Paul Rosa Sven".split()
LAST = "Keller Okafor Martin Nguyen Schmidt Rossi Silva Kowalski Dubois Hansen Murphy Tanaka Garcia".split()


def _link() -> dict[str, str]:
    token = secrets.token_urlsafe(24)
    return {"public_token": token, "public_token_digest": public_token_digest(token)}


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def assignee(rng: random.Random, status: str, agents: list[int]) -> int | None:
    """Who has it, as in a shop: an open conversation is often nobody's yet; the rest are someone's."""
    if not agents or (status == "open" and rng.random() < 0.5) or (status == "resolved" and rng.random() < 0.1):
        return None
    return rng.choice(agents)


def load(db: Database, customers: int, conversations: int, messages_per: int, seed: int = 42,
         rare_word: str = "zyzzyva", agents: int = 6) -> dict:
    """Fill an empty, migrated database; returns counts and the time taken. The agents (who
    cannot sign in) hold most conversations, so the inbox's views read real shapes of data."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    started = time.perf_counter()
    A, C, I, V, M = (t.__table__ for t in (Agent, Customer, CustomerIdentifier, Conversation, Message))  # type: ignore[attr-defined]
    with db.engine.begin() as conn:
        agent_ids = [conn.execute(insert(A).values(
            email=f"dataset-agent{n}@shop.example", name=f"{FIRST[n % len(FIRST)]} (dataset)", password_hash="!",
            role="agent", active=True, created_at=now, away=False)).inserted_primary_key[0] for n in range(agents)]
        rows, ids = [], []
        for i in range(1, customers + 1):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            email = f"customer{i}@example.com"
            rows.append({"id": i, "name": name, "contact": email, "created_at": now, "updated_at": now})
            ids.append({"customer_id": i, "kind": "email", "value": email, "created_at": now})
        conn.execute(insert(C), rows)
        conn.execute(insert(I), ids)
        message_id = 0
        batch_v, batch_m = [], []
        for cid in range(1, conversations + 1):
            started_at = now - timedelta(minutes=rng.randint(10, 60 * 24 * 365 * 2))
            roll = rng.random()
            status = "open" if roll < 0.05 else "pending" if roll < 0.08 else "snoozed" if roll < 0.09 else "resolved"
            last = started_at + timedelta(minutes=messages_per * 30)
            batch_v.append({
                "id": cid, "customer_id": rng.randint(1, customers), "subject": sentence(rng, 4)[:-1],
                "channel": "email", "status": status, "assignee_id": assignee(rng, status, agent_ids),
                "priority": rng.choice(["normal"] * 6 + ["high", "urgent", "low"]),
                **_link(), "created_at": started_at, "updated_at": last,
                "waiting_since": last if status == "open" else None, "last_message_at": last,
                "last_customer_message_at": last, "last_message_preview": "", "reopen_count": 0,
                "first_reply_at": started_at + timedelta(minutes=30) if messages_per > 1 else None,
                "resolved_at": last if status == "resolved" else None,
                "snoozed_until": now + timedelta(days=1) if status == "snoozed" else None,
            })
            for k in range(messages_per):
                message_id += 1
                body = sentence(rng, rng.randint(8, 30))
                if message_id % 50_000 == 0:
                    body += f" {rare_word}"
                batch_m.append({"id": message_id, "conversation_id": cid, "direction": "in" if k % 2 == 0 else "out",
                                "kind": "reply", "channel": "email", "body": body,
                                "created_at": started_at + timedelta(minutes=30 * k)})
            batch_v[-1]["last_message_id"] = message_id
            batch_v[-1]["last_message_preview"] = batch_m[-1]["body"][:200]
            if len(batch_m) >= 20_000:
                conn.execute(insert(V), batch_v)
                conn.execute(insert(M), batch_m)
                batch_v, batch_m = [], []
        if batch_v:
            conn.execute(insert(V), batch_v)
        if batch_m:
            conn.execute(insert(M), batch_m)
        reset_sequences(conn)  # PostgreSQL: rows came with their ids
    return {"customers": customers, "conversations": conversations, "messages": message_id,
            "seconds": time.perf_counter() - started}
