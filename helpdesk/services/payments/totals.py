"""Money in Reports: per currency, the requests made in a period, what was paid and what is
still outstanding (amounts in the currency's units, and counts). Amounts of different
currencies are never added together."""

from __future__ import annotations

from typing import Any

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from helpdesk.models.payments import PAID, REQUESTED
from helpdesk.models.tables import PAYMENT_REQUESTS as PR
from helpdesk.services.payments.money import amount_text



def payment_totals(conn: Connection, since: datetime, until: datetime, now: datetime) -> list[dict[str, Any]]:
    rows = conn.execute(select(PR.c.currency, PR.c.status, PR.c.amount_minor, PR.c.expires_at).where(
        PR.c.created_at >= since, PR.c.created_at < until)).all()
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = out.setdefault(r.currency, {"currency": r.currency, "requested": 0, "paid": 0, "outstanding": 0,
                                            "requested_count": 0, "paid_count": 0, "outstanding_count": 0})
        entry["requested"] += r.amount_minor
        entry["requested_count"] += 1
        if r.status == PAID:
            entry["paid"] += r.amount_minor
            entry["paid_count"] += 1
        elif r.status == REQUESTED and (r.expires_at is None or r.expires_at > now):
            entry["outstanding"] += r.amount_minor
            entry["outstanding_count"] += 1
    for entry in out.values():
        for key in ("requested", "paid", "outstanding"):
            entry[key] = amount_text(entry[key], entry["currency"])
    return sorted(out.values(), key=lambda e: e["currency"])
