"""Blocked senders: an email address, a whole domain, a phone number, a Telegram account or a
website chat visitor. Their later messages are kept, in Spam, never answered and never notified
(services/conversations/spam.py), and erased with it after SPAM_KEEP_DAYS.

The list is small and read on every customer message: it is held in memory, re-read when this
process changes it and at least every REFRESH (another process on the same PostgreSQL may have)."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from helpdesk.models import EMAIL, EXTERNAL_ID, PHONE, TELEGRAM, BlockedSender
from helpdesk.models.tables import BLOCKED_SENDERS as B, CUSTOMER_IDENTIFIERS as IDENT
from helpdesk.services.base import ADMIN, AGENT, Actor, Service, audit, new_id, require_role, writes
from helpdesk.services.customers import normalize_email, normalize_phone
from helpdesk.services.errors import Conflict, NotFound, ValidationFailed

KINDS = ("email", "domain", "phone", "telegram", "visitor")
REFRESH = 10.0  # seconds


def sender_keys(identifiers: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """What a customer's identifiers can be blocked as: each address and its domain, the phone,
    the Telegram account, the chat visitor (a website chat's external id)."""
    keys: set[tuple[str, str]] = set()
    for kind, value in identifiers:
        if kind == EMAIL:
            keys.add(("email", value))
            keys.add(("domain", value.rpartition("@")[2]))
        elif kind == PHONE:
            keys.add(("phone", value))
        elif kind == TELEGRAM:
            keys.add(("telegram", value))
        elif kind == EXTERNAL_ID and (":visitor:" in value or ":user:" in value):
            keys.add(("visitor", value))
    return keys


class Blocklist(Service):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._keys: frozenset[tuple[str, str]] | None = None
        self._read_at = 0.0

    def entries(self) -> list[BlockedSender]:
        with self.db.read() as s:
            return [BlockedSender(**dict(r._mapping)) for r in s.execute(select(B).order_by(B.c.kind, B.c.value))]

    def _current(self) -> frozenset[tuple[str, str]]:
        with self._lock:
            if self._keys is not None and time.monotonic() - self._read_at < REFRESH:
                return self._keys
        with self.db.read() as s:
            keys = frozenset((r.kind, r.value) for r in s.execute(select(B.c.kind, B.c.value)))
        with self._lock:
            self._keys, self._read_at = keys, time.monotonic()
        return keys

    def _forget(self) -> None:
        with self._lock:
            self._keys = None

    def listed(self, kind: str, value: str) -> bool:
        """Whether this exact sender (as `normal` gives it) is on the list."""
        return (kind, value) in self._current()

    def blocks(self, conn: Connection, customer_id: int) -> bool:
        """Whether this customer is blocked by any of their identifiers (nothing is read when the
        list is empty, as in most shops)."""
        keys = self._current()
        if not keys:
            return False
        ids = [(r.kind, r.value) for r in conn.execute(select(IDENT.c.kind, IDENT.c.value).where(
            IDENT.c.customer_id == customer_id))]
        return bool(sender_keys(ids) & keys)

    def candidates(self, customer_id: int) -> list[tuple[str, str]]:
        """What "Block sender" offers for a customer, most specific first."""
        with self.db.read() as s:
            ids = [(r.kind, r.value) for r in s.execute(select(IDENT.c.kind, IDENT.c.value).where(
                IDENT.c.customer_id == customer_id))]
        order = {k: i for i, k in enumerate(("email", "phone", "telegram", "visitor", "domain"))}
        return sorted(sender_keys(ids), key=lambda kv: (order[kv[0]], kv[1]))

    @staticmethod
    def normal(kind: str, value: str, default_region: str | None = None) -> str:
        fields: dict[str, str] = {}
        value = (value or "").strip()
        clean: str | None = value
        if kind not in KINDS:
            fields["kind"] = "must be email, domain, phone, telegram or visitor"
        elif kind == "email":
            clean = normalize_email(value)
        elif kind == "domain":
            clean = value.lower().lstrip("@")
            if "." not in clean or " " in clean or "@" in clean or len(clean) > 253:
                clean = None
        elif kind == "phone":
            clean = normalize_phone(value, default_region)
        elif not value or len(value) > 254:
            clean = None
        if clean is None and "kind" not in fields:
            fields["value"] = {"email": "must be an email address", "domain": "must be a domain like example.com",
                               "phone": "must be a phone number like +15550100"}.get(kind, "must be 1 to 254 characters")
        if fields or clean is None:
            raise ValidationFailed("the sender was not blocked", fields)
        return clean

    @writes
    def block(self, kind: str, value: str, actor: Actor) -> BlockedSender:
        require_role(actor, ADMIN, AGENT, doing="block senders")
        clean = self.normal(kind, value, self.settings.default_phone_region)
        now = self.now()
        try:
            with self.db.write() as tx:
                conn = tx.session.connection()
                blocked_id = new_id(conn.execute(insert(B).values(kind=kind, value=clean, created_at=now,
                                                                  created_by=actor.name[:120])))
                audit(conn, now, actor, "blocklist.added", kind=kind, value=clean)
        except IntegrityError:
            raise Conflict(f"{clean} is blocked already", {"value": "already blocked"}) from None
        finally:
            self._forget()
        return BlockedSender(id=blocked_id, kind=kind, value=clean, created_at=now, created_by=actor.name[:120])

    @writes
    def unblock(self, entry_id: int, actor: Actor) -> None:
        require_role(actor, ADMIN, AGENT, doing="unblock senders")
        with self.db.write() as tx:
            conn = tx.session.connection()
            row = conn.execute(select(B).where(B.c.id == entry_id)).first()
            if row is None:
                raise NotFound("that sender is not blocked")
            conn.execute(delete(B).where(B.c.id == entry_id))
            audit(conn, self.now(), actor, "blocklist.removed", kind=row.kind, value=row.value)
        self._forget()

    @writes
    def unblock_customer(self, customer_id: int, actor: Actor) -> int:
        """Every entry that blocks this customer ("Not spam" with unblocking asked)."""
        require_role(actor, ADMIN, AGENT, doing="unblock senders")
        with self.db.write() as tx:
            conn = tx.session.connection()
            ids = [(r.kind, r.value) for r in conn.execute(select(IDENT.c.kind, IDENT.c.value).where(
                IDENT.c.customer_id == customer_id))]
            removed = 0
            for kind, value in sender_keys(ids):
                if conn.execute(delete(B).where(B.c.kind == kind, B.c.value == value)).rowcount:
                    removed += 1
                    audit(conn, self.now(), actor, "blocklist.removed", kind=kind, value=value)
        self._forget()
        return removed
