"""The audit log, read: every admin action, sign-in and failed sign-in, second-step change,
export and erasure (and every change to a conversation), with who, what, when and from where.
Kept KEEP_DAYS (two years), then deleted by the daily job."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional, cast

from sqlalchemy import CursorResult, Select, delete, or_, select

from helpdesk.models.tables import AGENTS, API_TOKENS, AUDIT_ENTRIES as A
from helpdesk.services.base import Service, writes

KEEP_DAYS = 731


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor_type: str
    actor_id: Optional[int]
    actor_name: str
    action: str
    conversation_id: Optional[int]
    address: str
    detail: dict[str, Any]


class AuditLogService(Service):
    def _names(self) -> tuple[dict[int, str], dict[int, str]]:
        with self.db.read() as s:
            agents = {r.id: r.name for r in s.execute(select(AGENTS.c.id, AGENTS.c.name))}
            tokens = {r.id: r.name for r in s.execute(select(API_TOKENS.c.id, API_TOKENS.c.name))}
        return agents, tokens

    def _rows(self, query: Select[Any]) -> list[AuditRow]:
        agents, tokens = self._names()
        with self.db.read() as s:
            rows = s.execute(query).all()
        names = {"agent": agents, "api": tokens}
        return [AuditRow(r.id, r.at, r.actor_type, r.actor_id,
                         names.get(r.actor_type, {}).get(r.actor_id, "") if r.actor_id else
                         ("Helpdesk" if r.actor_type == "system" else r.actor_type),
                         r.action, r.conversation_id, r.address or "", r.detail or {}) for r in rows]

    def after(self, after_id: int = 0, limit: int = 100) -> list[AuditRow]:
        """Oldest first, from after an id (the API's cursor)."""
        return self._rows(select(A).where(A.c.id > after_id).order_by(A.c.id).limit(max(1, min(limit, 500))))

    def recent(self, text: str = "", security_only: bool = True, limit: int = 200,
               since: datetime | None = None) -> list[AuditRow]:
        """Newest first, for Settings › Audit log: `text` in the action or the detail; security_only
        leaves out the conversations' own changes (assignments, statuses…)."""
        query = select(A)
        if security_only:
            query = query.where(A.c.conversation_id.is_(None))
        if since is not None:
            query = query.where(A.c.at >= since)
        if text.strip():
            like = f"%{text.strip().lower()}%"
            query = query.where(or_(A.c.action.ilike(like), A.c.address.ilike(like)))
        return self._rows(query.order_by(A.c.id.desc()).limit(max(1, min(limit, 5000))))

    @staticmethod
    def csv(rows: list[AuditRow]) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["id", "at (UTC)", "who", "kind", "action", "conversation", "from", "detail"])
        for r in rows:
            cells = [r.id, r.at.isoformat(), r.actor_name, r.actor_type, r.action, r.conversation_id or "", r.address,
                     "; ".join(f"{k}={v}" for k, v in r.detail.items() if v is not None)]
            # A cell a spreadsheet would run as a formula starts with ' (as the reports' CSV).
            writer.writerow([f"'{c}" if isinstance(c, str) and c[:1] in ("=", "+", "-", "@") else c for c in cells])
        return out.getvalue()

    @writes
    def purge(self) -> int:
        """Entries older than two years."""
        with self.db.write() as tx:
            gone = tx.session.execute(delete(A).where(A.c.at < self.now() - timedelta(days=KEEP_DAYS)))
            return int(cast(CursorResult[Any], gone).rowcount or 0)
