"""The shop's mailboxes: adding, changing and removing them (admins), their passwords (kept
by SecretBox, never shown back), and what the email channel records as it works: fetch
progress by UIDVALIDITY + UID, the last fetch, the last errors, mails waiting to leave."""

from __future__ import annotations

from typing import Any

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlmodel import col

from helpdesk.events import MAILBOX_CHANGED
from helpdesk.models import AppSetting, Mailbox
from helpdesk.models.tables import DELIVERIES as D, MAILBOXES as M
from helpdesk.services.base import Actor, Service, audit, require_admin, stored_id, writes
from helpdesk.services.customers import normalize_email
from helpdesk.services.errors import Conflict, NotFound, ValidationFailed
from helpdesk.services.mail.secrets import SecretBox
from helpdesk.services.mail.urls import MASK, MailUrl, MailUrlError, parse_mail_url
from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database

INSTALL_KEY = "install_id"
NOTIFY_KEY = "mail_notify_channels"
NOTIFY_DEFAULT = ["api", "web", "chat"]  # replies to customers who wrote there also go to their email
NOTIFIABLE = {"api": "the API and website forms", "web": "their conversation page", "chat": "the website chat",
              "sms": "SMS", "telegram": "Telegram", "whatsapp": "WhatsApp"}


@dataclass(frozen=True)
class MailboxInput:
    name: str
    address: str
    imap: str
    smtp: str
    folder: str = "INBOX"
    poll_seconds: int = 60
    mark_read: bool = False
    active: bool = True
    # Replies filed in this folder for the shop's own mail client: "" the one the server marks
    # \Sent, a folder's name, or "-" to file none.
    sent_folder: str = ""


@dataclass(frozen=True)
class Connection:
    """What the channel needs to log in: the URLs with their passwords (never logged)."""

    mailbox_id: int
    name: str
    address: str
    imap: MailUrl
    smtp: MailUrl
    folder: str
    poll_seconds: int
    mark_read: bool


@dataclass(frozen=True)
class MailboxView:
    """A mailbox as Settings and `mailbox list` show it: URLs masked."""

    id: int
    name: str
    address: str
    imap: str
    smtp: str
    folder: str
    poll_seconds: int
    mark_read: bool
    active: bool
    secret_store: str
    last_fetch_at: datetime | None
    fetch_error: str
    send_error: str
    waiting: int  # replies queued to leave by email
    sent_folder: str = ""  # where replies are filed: "" the server's \Sent folder, "-" none


class MailboxService(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        super().__init__(db, clock, settings)
        self._box: SecretBox | None = None

    # ---- the admin's side ---------------------------------------------------------------

    def add(self, data: MailboxInput, actor: Actor) -> tuple[Mailbox, list[str]]:
        """A new mailbox; returns it and any warnings (a plain-text connection)."""
        require_admin(actor, "add mailboxes")
        imap, smtp, warnings = self._check(data)
        name = data.name.strip()
        self._refuse_taken(name)  # before the keyring: its entries are named after the mailbox
        kept = self._lock_away(name, imap.password, smtp.password)
        return self._add(data, imap, smtp, kept, actor), warnings

    @writes
    def _add(self, data: MailboxInput, imap: MailUrl, smtp: MailUrl, kept: tuple[str, str, str],
             actor: Actor) -> Mailbox:
        now = self.now()
        name = data.name.strip()
        with self.db.write() as tx:
            if tx.session.execute(select(Mailbox).where(col(Mailbox.name) == name)).first():
                raise Conflict(f"there is already a mailbox called {name}", {"name": "already used"})
            box = Mailbox(name=name, address=normalize_email(data.address) or data.address, imap_url=imap.stored(),
                          smtp_url=smtp.stored(), folder=data.folder.strip() or "INBOX",
                          poll_seconds=data.poll_seconds, mark_read=data.mark_read, active=data.active,
                          sent_folder=data.sent_folder.strip(), created_at=now, updated_at=now)
            box.secret_store, box.imap_secret, box.smtp_secret = kept
            tx.session.add(box)
            tx.session.flush()
            audit(tx.session, now, actor, "mailbox.added", name=name, address=box.address)
            tx.emit(MAILBOX_CHANGED, None, mailbox_id=box.id)
            return box

    def update(self, mailbox_id: int, data: MailboxInput, actor: Actor) -> tuple[Mailbox, list[str]]:
        """Change a mailbox. A URL whose password is left masked (or out) keeps the stored one."""
        require_admin(actor, "change mailboxes")
        current = self.get(mailbox_id)
        imap, smtp, warnings = self._check(data, current)
        name = data.name.strip()
        if name != current.name:
            self._refuse_taken(name)
        kept = self._lock_away(name, imap.password, smtp.password)
        box = self._update(mailbox_id, data, imap, smtp, kept, actor)
        if current.name != name:  # the old name's keyring entries
            for which in ("imap", "smtp"):
                self.secrets.forget(f"mailbox/{current.name}", which, current.secret_store)
        return box, warnings

    @writes
    def _update(self, mailbox_id: int, data: MailboxInput, imap: MailUrl, smtp: MailUrl, kept: tuple[str, str, str],
                actor: Actor) -> Mailbox:
        now = self.now()
        name = data.name.strip()
        with self.db.write() as tx:
            box = tx.session.get(Mailbox, mailbox_id)
            if box is None:
                raise NotFound(f"mailbox {mailbox_id} not found")
            clash = tx.session.execute(select(Mailbox).where(col(Mailbox.name) == name,
                                                             col(Mailbox.id) != mailbox_id)).first()
            if clash:
                raise Conflict(f"there is already a mailbox called {name}", {"name": "already used"})
            moved_to_new_server = (box.imap_url != imap.stored() or box.folder != (data.folder.strip() or "INBOX"))
            box.name, box.address = name, normalize_email(data.address) or data.address
            box.imap_url, box.smtp_url = imap.stored(), smtp.stored()
            box.folder, box.poll_seconds, box.mark_read, box.active = (data.folder.strip() or "INBOX",
                                                                       data.poll_seconds, data.mark_read, data.active)
            box.sent_folder = data.sent_folder.strip()
            if moved_to_new_server:  # another account or folder: its UIDs mean other mails
                box.uidvalidity, box.last_uid = None, 0
            box.secret_store, box.imap_secret, box.smtp_secret = kept
            box.fetch_error = box.send_error = ""
            box.updated_at = now
            tx.session.add(box)
            audit(tx.session, now, actor, "mailbox.changed", name=name)
            tx.emit(MAILBOX_CHANGED, None, mailbox_id=box.id)
            return box

    def remove(self, mailbox_id: int, actor: Actor) -> None:
        require_admin(actor, "remove mailboxes")
        box = self._remove(mailbox_id, actor)
        for which in ("imap", "smtp"):
            self.secrets.forget(f"mailbox/{box.name}", which, box.secret_store)

    @writes
    def _remove(self, mailbox_id: int, actor: Actor) -> Mailbox:
        with self.db.write() as tx:
            box = tx.session.get(Mailbox, mailbox_id)
            if box is None:
                raise NotFound(f"mailbox {mailbox_id} not found")
            tx.session.delete(box)
            audit(tx.session, self.now(), actor, "mailbox.removed", name=box.name)
            tx.emit(MAILBOX_CHANGED, None, mailbox_id=mailbox_id)
            return box

    def urls_to_test(self, data: MailboxInput, mailbox_id: int | None = None) -> tuple[MailUrl, MailUrl]:
        """The URLs a form would save, with the stored passwords where they are left masked,
        to test the connection before saving (admins only)."""
        imap, smtp, _ = self._check(data, self.get(mailbox_id) if mailbox_id else None)
        return imap, smtp

    def _check(self, data: MailboxInput, current: Mailbox | None = None) -> tuple[MailUrl, MailUrl, list[str]]:
        fields: dict[str, str] = {}
        name = (data.name or "").strip()
        if not name or len(name) > 100:
            fields["name"] = "must be 1 to 100 characters"
        if normalize_email(data.address or "") is None:
            fields["address"] = "must be an email address like shop@example.com"
        if not 10 <= data.poll_seconds <= 3600:
            fields["poll_seconds"] = "must be between 10 and 3600 seconds"
        if len(data.folder or "") > 200:
            fields["folder"] = "must be at most 200 characters"
        if len(data.sent_folder or "") > 200:
            fields["sent_folder"] = "must be at most 200 characters"
        urls: dict[str, MailUrl] = {}
        for kind, text in (("imap", data.imap), ("smtp", data.smtp)):
            stored = getattr(current, f"{kind}_url") if current is not None else ""
            try:
                url = parse_mail_url(text if (text or "").strip() or not stored else stored, kind)
            except MailUrlError as exc:
                fields[kind] = str(exc)
                continue
            same_account = current is not None and url.stored() == stored
            if url.password == MASK or (not url.password and same_account):
                # Left masked (or out) on an edit: the stored password stays.
                url = url.with_password(self._stored_password(current, kind) if same_account and current else "")
            if kind == "imap" and not (url.username and url.password):
                fields[kind] = "the IMAP URL needs a user and a password, e.g. " \
                               "imaps://shop%40example.com:password@imap.example.com:993"
                continue
            if kind == "smtp" and url.username and not url.password:
                fields[kind] = "the SMTP URL names a user but no password (leave both out for a server without AUTH)"
                continue
            urls[kind] = url
        if fields:
            raise ValidationFailed("the mailbox was not saved", fields)
        return urls["imap"], urls["smtp"], [w for w in (urls["imap"].warning, urls["smtp"].warning) if w]

    def _stored_password(self, box: Mailbox, kind: str) -> str:
        return self.secrets.get(f"mailbox/{box.name}", kind, box.secret_store,
                                box.imap_secret if kind == "imap" else box.smtp_secret,
                                what=f"the {kind.upper()} password of {box.name} (Settings › Mailboxes)")

    def _refuse_taken(self, name: str) -> None:
        with self.db.read() as s:
            if s.execute(select(col(Mailbox.id)).where(col(Mailbox.name) == name)).first():
                raise Conflict(f"there is already a mailbox called {name}", {"name": "already used"})

    def _lock_away(self, name: str, imap_password: str, smtp_password: str) -> tuple[str, str, str]:
        """The passwords into the keyring (or encrypted) before the write, never on the writer
        thread (a keyring may take seconds): (store, IMAP secret, SMTP secret) for the row."""
        store_i, imap_secret = self.secrets.put(f"mailbox/{name}", "imap", imap_password)
        store_s, smtp_secret = self.secrets.put(f"mailbox/{name}", "smtp", smtp_password)
        # One place for both (an SMTP server without AUTH stores nothing for SMTP).
        return (store_i if store_i != "none" else store_s), imap_secret, smtp_secret

    # ---- reading -----------------------------------------------------------------------

    @property
    def secrets(self) -> SecretBox:
        if self._box is None:
            self._box = SecretBox(self.settings.data_dir, self.install_id())
        return self._box

    def install_id(self) -> str:
        with self.db.read() as s:
            setting = s.get(AppSetting, INSTALL_KEY)
        if setting is not None and setting.value:
            return str((setting.value or {})["id"])
        return self._make_install_id()

    @writes
    def _make_install_id(self) -> str:
        with self.db.write() as tx:
            setting = tx.session.get(AppSetting, INSTALL_KEY)
            if setting is None or not setting.value:
                setting = AppSetting(key=INSTALL_KEY, value={"id": secrets.token_hex(8)})
                tx.session.add(setting)
            return str((setting.value or {})["id"])

    def get(self, mailbox_id: int) -> Mailbox:
        with self.db.read() as s:
            box = s.get(Mailbox, mailbox_id)
        if box is None:
            raise NotFound(f"mailbox {mailbox_id} not found")
        return box

    def by_name(self, name: str) -> Mailbox:
        with self.db.read() as s:
            box: Mailbox | None = s.execute(select(Mailbox).where(col(Mailbox.name) == name)).scalars().first()
        if box is None:
            raise NotFound(f"there is no mailbox called {name}")
        return box

    def all(self) -> list[Mailbox]:
        with self.db.read() as s:
            return list(s.execute(select(Mailbox).order_by(col(Mailbox.name))).scalars().all())

    def views(self) -> list[MailboxView]:
        waiting = self.waiting_by_mailbox()
        out = []
        for b in self.all():
            masked = {kind: _masked(getattr(b, f"{kind}_url"), b.secret_store) for kind in ("imap", "smtp")}
            out.append(MailboxView(stored_id(b), b.name, b.address, masked["imap"], masked["smtp"], b.folder,
                                   b.poll_seconds, b.mark_read, b.active, b.secret_store, b.last_fetch_at,
                                   b.fetch_error, b.send_error, waiting.get(b.id or 0, 0), b.sent_folder))
        return out

    def connection(self, box: Mailbox) -> Connection:
        """Log-in details with passwords; raises SecretMissing when they cannot be read here."""
        urls = {}
        for kind in ("imap", "smtp"):
            url = parse_mail_url(getattr(box, f"{kind}_url"), kind)
            urls[kind] = url.with_password(self._stored_password(box, kind)) if url.username else url
        return Connection(stored_id(box), box.name, box.address, urls["imap"], urls["smtp"], box.folder,
                          box.poll_seconds, box.mark_read)

    def version(self) -> tuple[Any, ...]:
        """Changes when any mailbox is added, changed or removed (the channel reloads then)."""
        with self.db.read() as s:
            row = s.execute(select(func.count(M.c.id), func.max(M.c.updated_at), func.sum(M.c.id))).first()
        return tuple(row) if row else ()

    def addresses(self) -> set[str]:
        """The shop's own addresses: mail from these is ours, never a customer's."""
        with self.db.read() as s:
            return {a.lower() for a in s.execute(select(M.c.address)).scalars()}

    def waiting_by_mailbox(self) -> dict[int | None, int]:
        """Email replies queued to leave (their mailbox is decided when they are sent, so all count
        for the first active mailbox when the conversation has none)."""
        with self.db.read() as s:
            total = s.execute(select(func.count(D.c.id)).where(D.c.channel == "email", D.c.status == "queued")).scalar()
        boxes = [b for b in self.all() if b.active]
        return {boxes[0].id: int(total or 0)} if boxes and total else {}

    def waiting_total(self) -> int:
        with self.db.read() as s:
            return int(s.execute(select(func.count(D.c.id)).where(D.c.channel == "email",
                                                                  D.c.status == "queued")).scalar() or 0)

    def trouble(self) -> str:
        """One quiet sentence for the workspace when mail cannot be fetched or sent, else ""."""
        boxes = [b for b in self.all() if b.active]
        if not boxes:
            return ""
        waiting = self.waiting_total()
        send = next((b for b in boxes if b.send_error), None)
        fetch = next((b for b in boxes if b.fetch_error), None)
        if send is not None:
            replies = f"{waiting} repl{'y' if waiting == 1 else 'ies'} waiting" if waiting else "replies wait"
            return f"Email offline: {replies} to be sent ({send.send_error})"
        if fetch is not None:
            return f"New mail to {fetch.address} cannot be fetched: {fetch.fetch_error}"
        return ""

    # ---- the channel's record --------------------------------------------------------------

    @writes
    def fetched(self, mailbox_id: int, error: str = "") -> None:
        """A fetch round ended (error "" when it worked)."""
        values: dict[str, object] = {"fetch_error": error[:500]}
        if not error:
            values["last_fetch_at"] = self.now()
        self._set(mailbox_id, values)

    @writes
    def send_failed(self, mailbox_id: int, error: str) -> None:
        self._set(mailbox_id, {"send_error": error[:500]})

    @writes
    def start_over(self, mailbox_id: int, uidvalidity: int) -> None:
        """The server renumbered the folder (a new UIDVALIDITY): look at every mail again; the
        record of mails already taken keeps them from being imported twice."""
        self._set(mailbox_id, {"uidvalidity": uidvalidity, "last_uid": 0})

    def _set(self, mailbox_id: int, values: dict[str, Any]) -> None:
        with self.db.write() as tx:
            before = tx.session.connection().execute(
                select(M.c.fetch_error, M.c.send_error).where(M.c.id == mailbox_id)).first()
            tx.session.connection().execute(update(M).where(M.c.id == mailbox_id).values(**values))
            # People see the banner change: only when an error appears or clears.
            if before is not None and any(k in values and values[k] != getattr(before, k)
                                          for k in ("fetch_error", "send_error")):
                tx.emit(MAILBOX_CHANGED, None, mailbox_id=mailbox_id, status=True)

    # ---- which channels' customers hear back by email ------------------------------------------

    def notify_channels(self) -> list[str]:
        with self.db.read() as s:
            setting = s.get(AppSetting, NOTIFY_KEY)
        return list(setting.value["channels"]) if setting is not None and setting.value else list(NOTIFY_DEFAULT)

    @writes
    def set_notify_channels(self, channels: list[str], actor: Actor) -> list[str]:
        require_admin(actor, "change mail notifications")
        unknown = [c for c in channels if c not in NOTIFIABLE]
        if unknown:
            raise ValidationFailed("unknown channels", {"channels": f"not one of {', '.join(NOTIFIABLE)}"})
        with self.db.write() as tx:
            setting = tx.session.get(AppSetting, NOTIFY_KEY) or AppSetting(key=NOTIFY_KEY)
            setting.value = {"channels": sorted(set(channels))}
            tx.session.add(setting)
            audit(tx.session, self.now(), actor, "mail.notify_channels", channels=sorted(set(channels)))
            return sorted(set(channels))


def _masked(stored: str, store: str) -> str:
    """user@host shown as user:••••@host when a password is kept for it."""
    scheme, _, rest = stored.partition("://")
    if store == "none" or "@" not in rest:
        return stored
    user, _, host = rest.rpartition("@")
    return f"{scheme}://{user}:{MASK}@{host}"
