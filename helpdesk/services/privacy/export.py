"""A customer's data as one zip: customer.json (identities, every conversation with its messages,
notes, events, ratings and delivery states, with dates), every file they sent or received, the
mails as they arrived, and a README of the format. Written conversation by conversation, so a
customer with 10,000 messages takes seconds and little memory."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.services.payments.money import amount_text
from helpdesk.models import (Customer)
from helpdesk.models.tables import (AGENTS, API_TOKENS, ATTACHMENTS as ATT, CONVERSATIONS as C, CSAT_RATINGS as RATE,
                                   CUSTOMER_IDENTIFIERS as IDENT, DELIVERIES as DEL, MAIL_RECORDS as MAIL,
                                   MESSAGES as M, PAYMENT_REQUESTS as PAY)

FORMAT = "helpdesk-customer-export/1"
README = """What Helpdesk holds about one customer, exported {at}.

customer.json
  format          "{format}"
  customer        id, name, when first seen, identities (email, phone, external_id, telegram)
  conversations   each with subject, channel, status, dates, ratings, and its messages in order:
                    direction   in (from the customer) or out (from the shop)
                    kind        reply, note (internal, never shown to the customer) or event ("Resolved by Ann")
                    author      who wrote it
                    body        the text as it was received or sent
                    delivery    for the shop's replies: queued, sent, delivered or failed, with when
                    files       name, type, size, sha256 and the file's place in this zip
                    mail        for mails: the original as it arrived, in this zip
files/<sha256>/<name>    every file sent or received, as it was
mail/<record>.eml        every mail received from the customer, as it arrived
All times are UTC (ISO 8601).
"""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def write_export(s: Session, customer_id: int, out: IO[bytes], path_of: Callable[[str], Path], now: datetime) -> int:
    """Write the zip to `out`; returns how many messages it holds."""
    customer = s.get(Customer, customer_id)
    assert customer is not None
    agents = {a.id: a.name for a in s.execute(select(AGENTS.c.id, AGENTS.c.name))}
    tokens = {t.id: t.name for t in s.execute(select(API_TOKENS.c.id, API_TOKENS.c.name))}
    files: dict[str, str] = {}  # sha256 -> place in the zip
    mails: dict[int, int] = {}  # message id -> mail record id
    count = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("README.txt", README.format(at=now.isoformat(), format=FORMAT))
        with zf.open("customer.json", "w") as raw:
            def put(text: str) -> None:
                raw.write(text.encode("utf-8"))

            identities = [{"kind": r.kind, "value": r.value, "since": _iso(r.created_at)}
                          for r in s.execute(select(IDENT).where(IDENT.c.customer_id == customer_id))]
            head = {"format": FORMAT, "exported_at": now.isoformat(),
                    "customer": {"id": customer.id, "name": customer.name, "first_seen": _iso(customer.created_at),
                                 "identities": identities}}
            put(json.dumps(head, ensure_ascii=False)[:-1] + ', "conversations": [')
            conversations = s.execute(select(C).where(C.c.customer_id == customer_id).order_by(C.c.id)).all()
            for n, conv in enumerate(conversations):
                thread, count = _conversation(s, conv, agents, tokens, files, mails, count)
                put(("," if n else "") + json.dumps(thread, ensure_ascii=False))
            put("]}")
        for sha, place in files.items():
            source = path_of(sha)
            if source.exists():
                zf.write(source, place)
        for record_id, raw_sha in s.execute(select(MAIL.c.id, MAIL.c.raw_sha256).where(
                MAIL.c.id.in_(list(mails.values())))).all() if mails else []:
            if raw_sha and path_of(raw_sha).exists():
                zf.write(path_of(raw_sha), f"mail/{record_id}.eml")
    return count


def _conversation(s: Session, conv: Any, agents: dict[str, Any], tokens: dict[str, Any], files: dict[str, str], mails: dict[int, int],
                  count: int) -> tuple[dict[str, Any], int]:
    messages = s.execute(select(M).where(M.c.conversation_id == conv.id).order_by(M.c.id)).all()
    ids = [m.id for m in messages]
    attachments: dict[int, list[Any]] = {}
    deliveries: dict[int, Any] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for a in s.execute(select(ATT).where(ATT.c.message_id.in_(chunk)).order_by(ATT.c.id)):
            attachments.setdefault(a.message_id, []).append(a)
        for d in s.execute(select(DEL).where(DEL.c.message_id.in_(chunk))):
            deliveries[d.message_id] = d
        for r in s.execute(select(MAIL.c.id, MAIL.c.message_id).where(MAIL.c.message_id.in_(chunk))):
            mails[r.message_id] = r.id
    out = []
    for m in messages:
        author = "customer" if m.direction == "in" else agents.get(m.author_agent_id) if m.author_agent_id else \
            tokens.get(m.author_token_id, "bot") if m.author_token_id else "Helpdesk"
        item: dict[str, Any] = {"id": m.id, "at": _iso(m.created_at), "direction": m.direction, "kind": m.kind,
                                "channel": m.channel, "author": author, "body": m.body}
        if m.id in deliveries:
            d = deliveries[m.id]
            item["delivery"] = {"status": d.status, "updated_at": _iso(d.updated_at), "error": d.last_error or None}
        if m.id in attachments:
            item["files"] = []
            for a in attachments[m.id]:
                place = files.setdefault(a.sha256, f"files/{a.sha256}/{a.filename}")
                item["files"].append({"name": a.filename, "type": a.content_type, "size": a.size,
                                      "sha256": a.sha256, "in_zip": place})
        if m.id in mails:
            item["mail"] = f"mail/{mails[m.id]}.eml"
        out.append(item)
        count += 1
    ratings = [{"rating": r.rating, "comment": r.comment, "at": _iso(r.created_at)}
               for r in s.execute(select(RATE).where(RATE.c.conversation_id == conv.id).order_by(RATE.c.id))]
    payments = [{"amount": amount_text(p.amount_minor, p.currency), "currency": p.currency,
                 "description": p.description, "reference": p.reference, "status": p.status,
                 "requested_at": _iso(p.created_at), "paid_at": _iso(p.paid_at), "paid_via": p.paid_via or None}
                for p in s.execute(select(PAY).where(PAY.c.conversation_id == conv.id).order_by(PAY.c.id))]
    return {"id": conv.id, "subject": conv.subject, "channel": conv.channel, "status": conv.status,
            "created_at": _iso(conv.created_at), "resolved_at": _iso(conv.resolved_at),
            "merged_into": conv.merged_into_id, "ratings": ratings, "payment_requests": payments,
            "messages": out}, count
