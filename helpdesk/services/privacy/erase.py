"""Erasing a customer: their name, identifiers, message and note texts, subjects, mails as they
arrived and files (from the store too, when nothing else refers to them) are gone from the
database, the search index (kept in step by the database's own triggers and generated columns),
the outbox and webhook payloads. The conversations stay, as "Erased customer", with their times,
statuses and counts, so reports do not change; their links are replaced by unknown ones (404).
Irreversible and audited; backups keep the data until they rotate out (docs/privacy.md)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, IO, Any

from sqlalchemy import delete, func, select, update

from helpdesk import events
from helpdesk.models import (EMAIL, PHONE, RESOLVED, AppSetting, Customer)
from helpdesk.models.tables import (ATTACHMENTS as ATT, AUDIT_ENTRIES as AUDIT, CONVERSATIONS as C,
                                   CSAT_RATINGS as RATE, CUSTOMERS as CUST, CUSTOMER_IDENTIFIERS as IDENT,
                                   DELIVERIES as DEL, DRAFTS as DRAFT, MAIL_RECORDS as MAIL, MESSAGES as M,
                                   OUTBOX_EVENTS as OUTBOX, PAYMENT_REQUESTS as PAY, WEBHOOK_DELIVERIES as HOOKS)
from helpdesk.services.base import ADMIN, Actor, Service, audit, require_role, writes
from helpdesk.services.conversations.common import public_token_digest
from helpdesk.services.customers import normalize_email, normalize_phone
from helpdesk.services.errors import NotFound, ValidationFailed
from helpdesk.services.privacy.export import write_export
from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database

if TYPE_CHECKING:
    from helpdesk.services.files import FileService

ERASED_NAME = "Erased customer"
RETENTION_KEY = "privacy.retention"
BACKUP_NIGHTS = 7  # what the nightly backups keep (db/backup.py), said in the dialog and the docs
# What a message's machine-readable part may keep: what reports and the thread's events need.
KEPT_META = ("event", "old", "new", "by", "until", "days", "automatic", "cause", "first", "spam",
             "payment_request_id")
PERSONAL_AUDIT = ("customer.renamed", "customer.identifier_conflict")  # their details name or address them


@dataclass(frozen=True)
class Erased:
    customer_id: int
    conversations: int
    messages: int
    files_deleted: int


class PrivacyService(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings, files: FileService) -> None:
        super().__init__(db, clock, settings)
        self.files = files

    def find(self, ref: str) -> int:
        """A customer by id, email or phone number (as the command line takes them)."""
        ref = (ref or "").strip()
        with self.db.read() as s:
            if ref.isdigit() and s.get(Customer, int(ref)) is not None:
                return int(ref)
            for kind, value in ((EMAIL, normalize_email(ref)),
                                (PHONE, normalize_phone(ref, self.settings.default_phone_region))):
                if value:
                    found = s.execute(select(IDENT.c.customer_id).where(IDENT.c.kind == kind,
                                                                        IDENT.c.value == value)).scalar()
                    if found is not None:
                        return int(found)
        raise NotFound(f"no customer is known by {ref!r}")

    # ---- export ----------------------------------------------------------------------------------

    def export(self, customer_id: int, out: IO[bytes], actor: Actor) -> int:
        """The zip written to `out` (a file, or a temporary file the API streams); audited."""
        require_role(actor, ADMIN, doing="export a customer's data")
        with self.db.read() as s:
            customer = s.get(Customer, customer_id)
            if customer is None or customer.erased_at is not None:
                raise NotFound(f"customer {customer_id} not found")
            count = write_export(s, customer_id, out, self.files.path_of, self.now())
        self._audit(actor, "customer.exported", customer_id=customer_id, messages=count)
        return count

    @writes
    def _audit(self, actor: Actor, action: str, **detail: Any) -> None:
        with self.db.write() as tx:
            audit(tx.session, self.now(), actor, action, **detail)

    # ---- erase -----------------------------------------------------------------------------------

    def erase(self, customer_id: int, actor: Actor) -> Erased:
        require_role(actor, ADMIN, doing="erase a customer's data")
        erased, unused = self._erase(customer_id, actor)
        return Erased(erased.customer_id, erased.conversations, erased.messages, self._delete_files(unused))

    @writes
    def _erase(self, customer_id: int, actor: Actor, only: list[int] | None = None,
               action: str = "customer.erased") -> tuple[Erased, set[str]]:
        """Everything of the customer (or, for retention and spam, only the conversations `only`)."""
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            customer = conn.execute(select(CUST.c.id, CUST.c.erased_at).where(CUST.c.id == customer_id)).first()
            if customer is None or (only is None and customer.erased_at is not None):
                raise NotFound(f"customer {customer_id} not found")
            where = C.c.id.in_(only) if only is not None else C.c.customer_id == customer_id
            conversation_ids = list(conn.execute(select(C.c.id).where(where)).scalars())
            message_ids = list(conn.execute(select(M.c.id).where(M.c.conversation_id.in_(conversation_ids))).scalars()) \
                if conversation_ids else []
            shas: set[str] = set()
            for start in range(0, len(message_ids), 500):
                chunk = message_ids[start:start + 500]
                shas |= set(conn.execute(select(ATT.c.sha256).where(ATT.c.message_id.in_(chunk))).scalars())
                shas |= {s for s in conn.execute(select(MAIL.c.raw_sha256).where(MAIL.c.message_id.in_(chunk))
                                                 ).scalars() if s}
                conn.execute(delete(ATT).where(ATT.c.message_id.in_(chunk)))
                for m in conn.execute(select(M.c.id, M.c.meta).where(M.c.id.in_(chunk), M.c.meta.is_not(None))).all():
                    kept = {k: v for k, v in (m.meta or {}).items() if k in KEPT_META}
                    conn.execute(update(M).where(M.c.id == m.id).values(meta=kept or None))
                conn.execute(update(M).where(M.c.id.in_(chunk)).values(body=""))
                conn.execute(update(DEL).where(DEL.c.message_id.in_(chunk)).values(last_error=""))
                conn.execute(update(DEL).where(DEL.c.message_id.in_(chunk), DEL.c.status.in_(("queued", "sending")))
                             .values(status="failed", next_attempt_at=None, updated_at=now))
            for start in range(0, len(conversation_ids), 500):
                chunk = conversation_ids[start:start + 500]
                shas |= {s for s in conn.execute(select(MAIL.c.raw_sha256).where(MAIL.c.conversation_id.in_(chunk))
                                                 ).scalars() if s}
                conn.execute(update(MAIL).where(MAIL.c.conversation_id.in_(chunk)).values(
                    sender="", subject="", full_text="", html="", raw_sha256="", error=""))
                conn.execute(update(RATE).where(RATE.c.conversation_id.in_(chunk)).values(comment=""))
                # The shop's books keep amount, currency, state and reference; what it was for goes.
                conn.execute(update(PAY).where(PAY.c.conversation_id.in_(chunk)).values(description="(erased)"))
                conn.execute(delete(DRAFT).where(DRAFT.c.conversation_id.in_(chunk)))
                conn.execute(delete(HOOKS).where(HOOKS.c.outbox_event_id.in_(
                    select(OUTBOX.c.id).where(OUTBOX.c.conversation_id.in_(chunk)))))
                conn.execute(delete(OUTBOX).where(OUTBOX.c.conversation_id.in_(chunk)))
                for conversation_id in chunk:  # each link replaced by one nobody has
                    token = secrets.token_urlsafe(24)
                    conn.execute(update(C).where(C.c.id == conversation_id).values(
                        subject="", last_message_preview="", public_token=token,
                        public_token_digest=public_token_digest(token), updated_at=now))
            if only is None:
                self._scrub_audit(conn, customer_id)
                conn.execute(delete(IDENT).where(IDENT.c.customer_id == customer_id))
                conn.execute(update(CUST).where(CUST.c.id == customer_id).values(
                    name=ERASED_NAME, contact="", erased_at=now, sms_opt_out_at=None, updated_at=now))
            audit(conn, now, actor, action, customer_id=customer_id, conversations=len(conversation_ids),
                  messages=len(message_ids))
            # Files still used by anyone else stay.
            used = set(conn.execute(select(ATT.c.sha256).where(ATT.c.sha256.in_(shas))).scalars()) if shas else set()
            used |= set(conn.execute(select(MAIL.c.raw_sha256).where(MAIL.c.raw_sha256.in_(shas))).scalars()) \
                if shas else set()
            for conversation_id in conversation_ids:
                tx.emit(events.CONVERSATION_UPDATED, conversation_id)
            tx.emit(events.CUSTOMER_UPDATED, None, customer_id=customer_id)
        return Erased(customer_id, len(conversation_ids), len(message_ids), 0), shas - used

    @staticmethod
    def _scrub_audit(conn: Any, customer_id: int) -> None:
        """Audit rows that wrote down the customer's name or addresses keep that it happened, not them."""
        for row in conn.execute(select(AUDIT.c.id, AUDIT.c.detail).where(AUDIT.c.action.in_(PERSONAL_AUDIT))).all():
            detail = row.detail or {}
            mentioned = detail.get("customer_id") == customer_id or customer_id in (detail.get("others") or {}).values()
            if mentioned:
                conn.execute(update(AUDIT).where(AUDIT.c.id == row.id).values(
                    detail={"customer_id": detail.get("customer_id"), "erased": True}))

    def _delete_files(self, shas: set[str]) -> int:
        deleted = 0
        for sha in shas:
            path = self.files.path_of(sha)
            if path.exists():
                path.unlink()
                deleted += 1
            for thumb in (self.files.root / "thumbs").glob(f"{sha}-*"):
                thumb.unlink(missing_ok=True)
        return deleted

    # ---- retention and spam -----------------------------------------------------------------------

    def retention_months(self) -> int | None:
        with self.db.read() as s:
            row = s.get(AppSetting, RETENTION_KEY)
        months = (row.value or {}).get("months") if row else None
        return months if isinstance(months, int) and months > 0 else None

    @writes
    def set_retention(self, months: int | None, actor: Actor) -> None:
        require_role(actor, ADMIN, doing="change how long conversations are kept")
        if months is not None and not (isinstance(months, int) and 1 <= months <= 240):
            raise ValidationFailed("the retention was not saved", {"months": "must be 1 to 240 months, or off"})
        with self.db.write() as tx:
            row = tx.session.get(AppSetting, RETENTION_KEY) or AppSetting(key=RETENTION_KEY, value={})
            row.value = {"months": months}
            tx.session.add(row)
            audit(tx.session, self.now(), actor, "privacy.retention", months=months)

    def _cutoff(self, months: int) -> datetime:
        return self.now() - timedelta(days=round(months * 30.44))

    def due_for_retention(self, months: int | None = None, limit: int = 500) -> tuple[int, list[tuple[int, int]]]:
        """How many conversations were resolved more than `months` ago (the dry run), and the first
        `limit` of them as (conversation, customer)."""
        months = months or self.retention_months()
        if not months:
            return 0, []
        cutoff = self._cutoff(months)
        # An erased conversation's preview is empty: it is not counted twice.
        where = (C.c.status == RESOLVED, C.c.resolved_at <= cutoff, C.c.last_message_at <= cutoff,
                 C.c.last_message_preview != "")
        with self.db.read() as s:
            total = s.execute(select(func.count()).select_from(C).where(*where)).scalar_one()
            rows = s.execute(select(C.c.id, C.c.customer_id).where(*where).order_by(C.c.id).limit(limit)).all()
        return total, [(r.id, r.customer_id) for r in rows]

    def apply_retention(self) -> int:
        """The daily job: erase what retention says is too old (nothing while it is off)."""
        _, due = self.due_for_retention()
        return self._erase_conversations(due, "privacy.retention_erased")

    def erase_old_spam(self, conversation_ids: list[int]) -> int:
        """Spam past its days (the daily job): erased as a customer's data is."""
        with self.db.read() as s:
            pairs = [(r.id, r.customer_id) for r in s.execute(select(C.c.id, C.c.customer_id).where(
                C.c.id.in_(conversation_ids)))] if conversation_ids else []
        return self._erase_conversations(pairs, "spam.erased")

    def _erase_conversations(self, pairs: list[tuple[int, int]], action: str) -> int:
        by_customer: dict[int, list[int]] = {}
        for conversation_id, customer_id in pairs:
            by_customer.setdefault(customer_id, []).append(conversation_id)
        done = 0
        for customer_id, ids in by_customer.items():
            erased, unused = self._erase(customer_id, Actor.system(), only=ids, action=action)
            self._delete_files(unused)
            done += erased.conversations
            if not self._keeps_anything(customer_id):  # nothing of theirs is left: their name and addresses go too
                self._delete_files(self._erase(customer_id, Actor.system(), action=action)[1])
        return done

    def _keeps_anything(self, customer_id: int) -> bool:
        """Whether the customer still has a conversation with words in it (or was erased already)."""
        with self.db.read() as s:
            if s.execute(select(CUST.c.erased_at).where(CUST.c.id == customer_id)).scalar() is not None:
                return True
            return s.execute(select(C.c.id).where(C.c.customer_id == customer_id, C.c.last_message_preview != "")
                             .limit(1)).first() is not None
