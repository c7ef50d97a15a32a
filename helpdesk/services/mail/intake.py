"""Mail becoming conversations. Every mail taken from a mailbox is recorded once (its
Message-ID, or a digest of its bytes), in the same transaction as what it became and the
mailbox's fetch progress, so a restart, an outage or a crash between fetching and
committing never imports a mail twice.

Threading: a mail joins the conversation whose Message-IDs its In-Reply-To/References
name (the customer's or ours), then the one its subject's "[#id]" names if it is this
customer's, then this customer's unresolved conversation with the same subject; else it
starts a new conversation (a new subject is a new question).

What is not a customer writing: a bounce marks the reply it is about as failed; a mail
written by a machine (an out-of-office) joins its thread quietly or is only recorded; our
own mail is only recorded."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Connection

from helpdesk.events import MAIL_UNREADABLE
from helpdesk import events
from helpdesk.models import IN, OUT, REPLY, RESOLVED, MailRecord
from helpdesk.models.tables import (CONVERSATIONS as CONVERSATION, DELIVERIES as D, MAILBOXES as MB, MAIL_RECORDS as R,
                                   MESSAGES as MESSAGE)
from helpdesk.services.base import Actor, Service, new_id, writes
from helpdesk.services.conversations.common import (MAX_BODY, STATE_COLUMNS, new_public_token, preview_of,
                                                    public_token_digest)
from helpdesk.services.thread_events import INSERT_MESSAGE
from helpdesk.services.customers import CustomerIdentity, normalize_email, resolve_customer
from helpdesk.services.deliveries import FAILED
from helpdesk.services.errors import PayloadTooLarge, ValidationFailed
from helpdesk.services.files import MAX_FILES, StagedFile, mb
from helpdesk.services.mail.guards import automatic_reason, list_mail, spam_flag
from helpdesk.services.mail.types import MailIn
from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database

if TYPE_CHECKING:
    from helpdesk.services.conversations import ConversationService
    from helpdesk.services.deliveries import DeliveryService
    from helpdesk.services.files import FileService
    from helpdesk.services.mail.mailboxes import MailboxService

log = logging.getLogger(__name__)
CHANNEL = "email"
IMPORTED, BOUNCE, AUTOMATIC, OWN, UNREADABLE = "imported", "bounce", "automatic", "own", "unreadable"
_SUBJECT_REF = re.compile(r"\[#(\d{1,12})\]")
_PREFIX = re.compile(r"^\s*((re|aw|sv|vs|antw|fw|fwd|wg|tr|rv)\s*(\[\d+\])?\s*:\s*)+", re.I)
TINY_INLINE = 2048  # inline images smaller than this are logos and spacers in signatures


@dataclass(frozen=True)
class Taken:
    status: str  # imported | bounce | automatic | own | unreadable | duplicate
    conversation_id: int | None = None
    message_id: int | None = None
    created: bool = False


def mail_key(mail: MailIn) -> str:
    return mail.message_id[:255] if mail.message_id else raw_key(mail.raw)


def raw_key(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def bare_subject(subject: str) -> str:
    """The subject without Re:/Fwd: prefixes and our [#id], for comparing."""
    return " ".join(_SUBJECT_REF.sub("", _PREFIX.sub("", subject or "")).split()).lower()


class MailIntakeService(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings, conversations: ConversationService,
                 mailboxes: MailboxService, files: FileService, deliveries: DeliveryService) -> None:
        super().__init__(db, clock, settings)
        self.conversations = conversations
        self.mailboxes = mailboxes
        self.files = files
        self.deliveries = deliveries

    # ---- what the channel calls ------------------------------------------------------------

    def seen(self, mail: MailIn) -> bool:
        return self.seen_key(mail_key(mail))

    def seen_keys(self, keys: list[str]) -> set[str]:
        """Which of these Message-IDs were taken already (a few hundred per query)."""
        found: set[str] = set()
        with self.db.read() as s:
            for start in range(0, len(keys), 500):
                found.update(s.execute(select(R.c.mail_key).where(R.c.mail_key.in_(keys[start:start + 500])))
                             .scalars())
        return found

    def seen_key(self, key: str) -> bool:
        """Whether the mail with this Message-ID (or bytes' digest) was taken already."""
        with self.db.read() as s:
            return s.execute(select(R.c.id).where(R.c.mail_key == key)).first() is not None

    def take(self, mailbox_id: int | None, mail: MailIn, uid: int | None = None, history: bool = False) -> Taken:
        """One mail from a mailbox (uid: its IMAP UID, recorded as progress in the same
        transaction) or an imported archive (history: it happened at its Date and is done)."""
        if self.seen(mail):
            self.advance(mailbox_id, uid)
            return Taken("duplicate")
        raw = self.files.stage_bytes(mail.raw, "message.eml")
        files, notes = self._stage_files(mail)
        return self._take(mailbox_id, mail, uid, history, raw.sha256, tuple(files), notes,
                          self.mailboxes.addresses())

    def unreadable(self, mailbox_id: int | None, raw: bytes, uid: int | None, error: str) -> Taken:
        """A mail that could not be read: kept with its bytes in the "could not read" list,
        and the mails after it go on."""
        staged = self.files.stage_bytes(raw or b"", "message.eml")
        return self._unreadable(mailbox_id, raw_key(raw or b""), uid, staged.sha256, error)

    @writes
    def _unreadable(self, mailbox_id: int | None, key: str, uid: int | None, sha: str, error: str) -> Taken:
        with self.db.write() as tx:
            conn = tx.session.connection()
            if conn.execute(select(R.c.id).where(R.c.mail_key == key)).first() is None:
                self._record(conn, self.now(), mailbox_id, key, "", uid, UNREADABLE, raw_sha256=sha,
                             error=error[:500])
                tx.emit(MAIL_UNREADABLE, None, mailbox_id=mailbox_id)
            self._advance(conn, mailbox_id, uid)
        return Taken(UNREADABLE)

    @writes
    def advance(self, mailbox_id: int | None, uid: int | None) -> None:
        if mailbox_id is not None and uid is not None:
            with self.db.write() as tx:
                self._advance(tx.session.connection(), mailbox_id, uid)

    def original(self, message_id: int) -> MailRecord | None:
        """The mail a message came from: its whole text, sanitised HTML and raw bytes' digest."""
        with self.db.read() as s:
            found: MailRecord | None = s.execute(select(MailRecord).where(R.c.message_id == message_id)).scalars().first()
            return found

    def record(self, record_id: int) -> MailRecord | None:
        with self.db.read() as s:
            return s.get(MailRecord, record_id)

    def full_text(self, message_id: int) -> str:
        record = self.original(message_id)
        return record.full_text if record is not None else ""

    def unreadable_mails(self, limit: int = 50) -> list[MailRecord]:
        """The "could not read" list: each with its reason and raw bytes in the file store."""
        with self.db.read() as s:
            return list(s.execute(select(MailRecord).where(R.c.status == UNREADABLE)
                                  .order_by(R.c.id.desc()).limit(limit)).scalars())

    # ---- deciding ------------------------------------------------------------------------

    @writes
    def _take(self, mailbox_id: int | None, mail: MailIn, uid: int | None, history: bool, raw_sha: str,
              files: tuple[StagedFile, ...], notes: list[str], own: set[str]) -> Taken:
        key = mail_key(mail)
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            if conn.execute(select(R.c.id).where(R.c.mail_key == key)).first() is not None:
                self._advance(conn, mailbox_id, uid)
                return Taken("duplicate")
            record = {"raw_sha256": raw_sha, "full_text": mail.full_text, "html": mail.html,
                      "sender": mail.customer_address[:254], "subject": mail.subject}
            if mail.from_address in own or mail.customer_address in own:
                taken = self._ours(tx, conn, mail, files, history, now) if history else Taken(OWN)
            elif mail.bounce is not None:
                taken = self._bounce(tx, conn, mail)
            elif (reason := automatic_reason(mail)):
                taken = self._automatic(tx, conn, mail, reason, files, now)
                record["error"] = reason
            else:
                taken = self._customer(tx, conn, mail, files, notes, history, now, mailbox_id)
            self._record(conn, now, mailbox_id, key, mail.message_id, uid, taken.status, taken.conversation_id,
                         taken.message_id, **record)
            self._advance(conn, mailbox_id, uid)
            return taken

    def _customer(self, tx: Any, conn: Connection, mail: MailIn, files: tuple[StagedFile, ...], notes: list[str],
                  history: bool, now: datetime, mailbox_id: int | None = None) -> Taken:
        address = normalize_email(mail.customer_address)
        if address is None:
            raise ValidationFailed("the mail has no sender address", {"from": "missing"})
        identity = CustomerIdentity(email=address, name=(mail.from_name or "")[:200])
        customer_id, _ = resolve_customer(conn, identity, now, Actor.customer())
        body = _body(mail.text, notes, files)
        meta: dict[str, Any] = {"email": {"from": address, "cc": mail.cc[:20], "subject": mail.subject,
                                          "key": mail_key(mail)}}
        if list_mail(mail):
            meta["list"] = True  # imported, never answered automatically
        state = self._thread(conn, mail, customer_id, history)
        if history:
            return self._history_message(tx, conn, state, customer_id, mail, body, IN, files, meta)
        clean = {"body": body, "subject": mail.subject, "channel": CHANNEL}
        team_id = conn.execute(select(MB.c.team_id).where(MB.c.id == mailbox_id)).scalar() \
            if state is None and mailbox_id is not None else None
        result = self.conversations._append_customer_message(tx, conn, state, customer_id, clean, now,
                                                             Actor.customer(customer_id), files, meta,
                                                             flagged=spam_flag(mail), team_id=team_id)
        return Taken(IMPORTED, result.conversation_id, result.message_id, result.created)

    def _ours(self, tx: Any, conn: Connection, mail: MailIn, files: tuple[StagedFile, ...], history: bool,
              now: datetime) -> Taken:
        """Our own mail in an imported archive: the shop's side of the thread."""
        to = next((normalize_email(a) for a in mail.to if normalize_email(a)), None)
        if to is None:
            return Taken(OWN)
        customer_id, _ = resolve_customer(conn, CustomerIdentity(email=to), now, Actor.system())
        meta = {"email": {"from": mail.from_address, "to": mail.to[:20], "subject": mail.subject,
                          "key": mail_key(mail)}}
        state = self._thread(conn, mail, customer_id, history=True)
        taken = self._history_message(tx, conn, state, customer_id, mail, _body(mail.text, [], files), OUT,
                                      files, meta)
        return Taken(OWN, taken.conversation_id, taken.message_id, taken.created)

    def _bounce(self, tx: Any, conn: Connection, mail: MailIn) -> Taken:
        """A bounce marks the reply it is about as failed, with the server's reason."""
        assert mail.bounce is not None
        row = conn.execute(select(D.c.id, D.c.message_id, MESSAGE.c.conversation_id)
                           .join(MESSAGE, MESSAGE.c.id == D.c.message_id)
                           .where(D.c.channel == CHANNEL, D.c.external_id == mail.bounce.original_message_id)).first() \
            if mail.bounce.original_message_id else None
        if row is None:
            return Taken(BOUNCE)
        reason = f"bounced: {mail.bounce.reason}" + (f" ({mail.bounce.recipient})" if mail.bounce.recipient else "")
        conn.execute(update(D).where(D.c.id == row.id).values(status=FAILED, last_error=reason[:500],
                                                             next_attempt_at=None, updated_at=self.now()))
        tx.emit(events.DELIVERY_UPDATED, row.conversation_id, message_id=row.message_id, status=FAILED)
        return Taken(BOUNCE, row.conversation_id, row.message_id)

    def _automatic(self, tx: Any, conn: Connection, mail: MailIn, reason: str, files: tuple[StagedFile, ...],
                   now: datetime) -> Taken:
        """An out-of-office or other machine-written mail: it joins its thread without reopening
        it or starting any clock; with no thread it is only recorded."""
        state = self._thread(conn, mail, None, history=False)
        if state is None:
            return Taken(AUTOMATIC)
        meta = {"email": {"from": mail.customer_address, "subject": mail.subject, "key": mail_key(mail)},
                "automatic": reason}
        message_id = new_id(conn.execute(INSERT_MESSAGE, {
            "conversation_id": state.id, "direction": IN, "kind": REPLY, "channel": CHANNEL,
            "body": _body(mail.text, [], files), "meta": meta, "created_at": now}))
        self.files.attach(conn, message_id, files, now)
        tx.emit(events.MESSAGE_CREATED, state.id, message_id=message_id, direction=IN, kind=REPLY,
                customer_id=state.customer_id, automatic=True)
        return Taken(AUTOMATIC, state.id, message_id)

    # ---- threading -------------------------------------------------------------------------

    def _thread(self, conn: Connection, mail: MailIn, customer_id: int | None, history: bool) -> Any:
        """The conversation this mail continues, or None for a new one."""
        ids = mail.thread_ids
        if ids:
            found = {r.mail_key: r.conversation_id for r in conn.execute(
                select(R.c.mail_key, R.c.conversation_id).where(R.c.mail_key.in_(ids),
                                                                R.c.conversation_id.is_not(None)))}
            found.update({r.external_id: r.conversation_id for r in conn.execute(
                select(D.c.external_id, MESSAGE.c.conversation_id).join(MESSAGE, MESSAGE.c.id == D.c.message_id)
                .where(D.c.channel == CHANNEL, D.c.external_id.in_(ids)))})
            for mid in ids:
                if mid in found:
                    return self._state(conn, found[mid])
        if customer_id is None:
            return None
        ref = _SUBJECT_REF.search(mail.subject or "")
        if ref:
            state = self._state(conn, int(ref.group(1)))
            if state is not None and state.customer_id == customer_id:
                return state
        subject = bare_subject(mail.subject)
        if subject:
            query = select(CONVERSATION.c.id, CONVERSATION.c.subject).where(
                CONVERSATION.c.customer_id == customer_id, CONVERSATION.c.merged_into_id.is_(None))
            if not history:
                query = query.where(CONVERSATION.c.status != RESOLVED)
            for row in conn.execute(query.order_by(CONVERSATION.c.last_message_at.desc()).limit(50)):
                if bare_subject(row.subject) == subject:
                    return self._state(conn, row.id)
        return None

    @staticmethod
    def _state(conn: Connection, conversation_id: int) -> Any:
        """A conversation's state, following merges to where its messages went."""
        for _ in range(10):
            row = conn.execute(select(*STATE_COLUMNS, CONVERSATION.c.merged_into_id)
                               .where(CONVERSATION.c.id == conversation_id)).first()
            if row is None or row.merged_into_id is None:
                return row
            conversation_id = row.merged_into_id
        return None

    # ---- history (imported archives) -----------------------------------------------------------

    def _history_message(self, tx: Any, conn: Connection, state: Any, customer_id: int, mail: MailIn, body: str,
                         direction: str, files: tuple[StagedFile, ...], meta: dict[str, Any]) -> Taken:
        """A message that happened at its Date: in a resolved conversation of its own, or added
        to its thread without changing what the thread is doing now."""
        when = mail.date or self.now()
        created = state is None
        if created:
            token = new_public_token()
            conversation_id = new_id(conn.execute(insert(CONVERSATION).values(
                customer_id=customer_id, subject=mail.subject[:300], channel=CHANNEL, status=RESOLVED,
                priority="normal", public_token=token, public_token_digest=public_token_digest(token),
                created_at=when, updated_at=when, resolved_at=when, last_message_at=when,
                last_customer_message_at=when if direction == IN else None,
                first_reply_at=when if direction == OUT else None, last_message_preview=preview_of(body),
                reopen_count=0)))
            state = SimpleNamespace(id=conversation_id, customer_id=customer_id)
        message_id = new_id(conn.execute(INSERT_MESSAGE, {
            "conversation_id": state.id, "direction": direction, "kind": REPLY, "channel": CHANNEL,
            "body": body, "meta": meta, "created_at": when}))
        self.files.attach(conn, message_id, files, when)
        if not created:  # the thread's latest message and first reply move only forwards / backwards
            row = conn.execute(select(CONVERSATION.c.last_message_at, CONVERSATION.c.first_reply_at,
                                      CONVERSATION.c.created_at, CONVERSATION.c.status)
                               .where(CONVERSATION.c.id == state.id)).one()
            values: dict[str, object] = {}
            if row.last_message_at is None or when >= row.last_message_at:
                values.update(last_message_at=when, last_message_preview=preview_of(body), last_message_id=message_id)
                if row.status == RESOLVED:
                    values["resolved_at"] = when
            if direction == OUT and (row.first_reply_at is None or when < row.first_reply_at) and \
                    when >= row.created_at:
                values["first_reply_at"] = when
            if values:
                conn.execute(update(CONVERSATION).where(CONVERSATION.c.id == state.id).values(**values))
        return Taken(IMPORTED, state.id, message_id, created)

    # ---- files and records ----------------------------------------------------------------------

    def _stage_files(self, mail: MailIn) -> tuple[list[StagedFile], list[str]]:
        staged: list[StagedFile] = []
        notes: list[str] = []
        total = 0
        for f in mail.files:
            if f.content_id and len(f.data) < TINY_INLINE:
                continue  # a signature's logo or a spacer, not something the customer sent
            if len(staged) >= MAX_FILES or total + len(f.data) > self.files.limits.per_message:
                notes.append(f"{f.filename} ({mb(len(f.data))}) was not kept: the mail carries more than a "
                             f"message may; it is in the original mail")
                continue
            try:
                item = self.files.stage_bytes(f.data, f.filename)
            except PayloadTooLarge as exc:
                notes.append(f"{f.filename} was not kept: {exc}; it is in the original mail")
                continue
            staged.append(item)
            total += item.size
        return staged, notes

    @staticmethod
    def _record(conn: Connection, now: datetime, mailbox_id: int | None, key: str, message_id_header: str, uid: int | None,
                status: str, conversation_id: int | None = None, message_id: int | None = None,
                **values: Any) -> None:
        row = {"sender": "", "subject": "", "raw_sha256": "", "full_text": "", "html": "", "error": "", **values}
        row["sender"], row["subject"] = row["sender"][:254], row["subject"][:300]
        conn.execute(insert(R).values(mailbox_id=mailbox_id, mail_key=key, message_id_header=message_id_header[:255],
                                      uid=uid, status=status, conversation_id=conversation_id, message_id=message_id,
                                      received_at=now, **row))

    @staticmethod
    def _advance(conn: Connection, mailbox_id: int | None, uid: int | None) -> None:
        if mailbox_id is not None and uid is not None:
            conn.execute(update(MB).where(and_(MB.c.id == mailbox_id, MB.c.last_uid < uid)).values(last_uid=uid))


def _body(text: str, notes: list[str], files: tuple[StagedFile, ...]) -> str:
    body = text.strip()
    if len(body) > MAX_BODY:
        body = body[:MAX_BODY - 80].rstrip() + "\n\n[… the rest is in the full message]"
    if notes:
        body = (body + "\n\n" if body else "") + "\n".join(f"[{n}]" for n in notes)
    if not body and not files:
        body = "(no text)"
    return body


