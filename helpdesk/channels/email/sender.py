"""The email outbox worker: replies queued for the email channel leave over SMTP from
their mailbox. The Message-ID is fixed before the first try, so a retry is the same mail;
an unreachable server or a 4xx is tried again with backoff (15 s doubling to 15 min),
a 5xx refusal fails the reply with the server's words, and after three days of trying
it gives up and says so. Each sent reply is then filed in the mailbox's Sent folder over
IMAP (as a mail client does), once: an IMAP outage only delays the copy. Mentions owed by
mail to agents who are away leave here too (not filed: they are notices, not the thread)."""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from sqlalchemy.exc import DBAPIError

from helpdesk.channels.email import mime, smtp
from helpdesk.channels.email.errors import MailServerError
from helpdesk.channels.email.imap import ImapSession
from helpdesk.events import MESSAGE_CREATED, Event, WakeableLoop
from helpdesk.services.deliveries import Due
from helpdesk.services.mail.outgoing import Unsendable
from helpdesk.services.mail.secrets import SecretMissing

log = logging.getLogger(__name__)
CHANNEL = "email"
GIVE_UP_AFTER_ATTEMPTS = 300  # ≈ 3 days at the 15-minute cap
COPY_RETRY_SECONDS = 60.0  # a mailbox whose IMAP failed to take a copy is tried again after this
NO_COPIES = "-"
WAKE_GATHER_SECONDS = 0.02  # a reply and its status change come together: one pass


class EmailSender(WakeableLoop):
    name = "mail-sender"
    doing = "the email sender's pass"

    def __init__(self, services, interval: float = 1.0) -> None:
        super().__init__(services.events, {MESSAGE_CREATED}, interval, gather_seconds=WAKE_GATHER_SECONDS)
        self.services = services
        self._errors: dict[int, str] = {b.id: b.send_error for b in services.mail.mailboxes.all()}
        self._copy_after: dict[int, float] = {}  # mailbox id -> when its IMAP may be tried again

    def woken(self, event: Event) -> None:
        if event.data.get("direction") == "out":  # a reply may be waiting to leave: now, not at the next round
            self.wake()

    def one_pass(self) -> bool:
        try:
            due = self.services.deliveries.due(CHANNEL)
            for item in due:
                if self.stop_event.is_set():
                    break
                self.send_one(item)
            for item in self.services.deliveries.copies_owed(CHANNEL):
                if self.stop_event.is_set():
                    break
                self.file_copy(item)
            mentions = self.services.mentions.mail_due()
            for mention_id in mentions:
                if self.stop_event.is_set():
                    break
                self.send_mention(mention_id)
        except DBAPIError as exc:
            log.warning("the email sender cannot read the outbox: %s", exc.__class__.__name__)
            return False
        return bool(due) or bool(mentions)

    def send_mention(self, mention_id: int) -> str:
        """Mail a mention to its agent, who is away (services/mail/mention_mail.py). Answers the
        mention's mail state after the try: sent, due (tried again later) or failed."""
        mentions = self.services.mentions
        out = self.services.mail.outgoing.mention(mention_id)
        if isinstance(out, str):
            return mentions.mail_done(mention_id, out)
        try:
            box = self.services.mail.mailboxes.get(out.mailbox_id)
            smtp.send(self.services.mail.mailboxes.connection(box).smtp, out.from_address, out.to,
                      mime.to_bytes(mime.build(out)))
        except (MailServerError, SecretMissing) as exc:
            permanent = isinstance(exc, MailServerError) and exc.permanent
            return mentions.mail_done(mention_id, str(exc), retry=not permanent)
        return mentions.mail_done(mention_id)

    def send_one(self, due: Due) -> str:
        deliveries = self.services.deliveries
        out = self.services.mail.outgoing.compose(due)
        if isinstance(out, Unsendable):
            if out.retry:
                deliveries.retry(due.id, due.attempts + 1, out.reason)
            else:
                deliveries.failed(due.id, out.reason)
            return "failed"
        if not due.external_id:
            deliveries.prepare(due.id, out.message_id)
        try:
            box = self.services.mail.mailboxes.get(out.mailbox_id)
            url = self.services.mail.mailboxes.connection(box).smtp
            raw = mime.to_bytes(mime.build(out))
            smtp.send(url, out.from_address, [*out.to, *out.cc], raw)
        except (MailServerError, SecretMissing) as exc:
            reason = str(exc)
            if isinstance(exc, MailServerError) and exc.permanent:
                deliveries.failed(due.id, reason)
                return "failed"
            if due.attempts + 1 >= GIVE_UP_AFTER_ATTEMPTS:
                deliveries.failed(due.id, f"not sent after 3 days of trying: {reason}")
                return "failed"
            deliveries.retry(due.id, due.attempts + 1, reason)
            self._mailbox_error(out.mailbox_id, reason)
            return "queued"
        except OSError as exc:  # a file of the reply is missing from the store
            deliveries.failed(due.id, f"an attached file cannot be read: {exc.strerror or exc}")
            return "failed"
        deliveries.sent(due.id, out.message_id, copy=box.sent_folder != NO_COPIES)
        self._mailbox_error(out.mailbox_id, "")
        if box.sent_folder != NO_COPIES:
            self.file_copy(replace(due, external_id=out.message_id), raw)
        return "sent"

    def file_copy(self, due: Due, raw: bytes | None = None) -> str:
        """File a sent reply in its mailbox's Sent folder; returns done, failed or waiting."""
        out = self.services.mail.outgoing.compose(due)
        if isinstance(out, Unsendable):  # its mailbox is gone: nowhere to file it
            self.services.deliveries.copied(due.id, "failed")
            return "failed"
        if time.monotonic() < self._copy_after.get(out.mailbox_id, 0.0):
            return "waiting"
        box = self.services.mail.mailboxes.get(out.mailbox_id)
        if box.sent_folder == NO_COPIES:
            self.services.deliveries.copied(due.id, "failed")
            return "failed"
        session = None
        try:
            session = ImapSession(self.services.mail.mailboxes.connection(box).imap).open()
            session.file_copy(box.sent_folder, raw or mime.to_bytes(mime.build(out)), out.message_id,
                              self.services.clock.now())
        except (MailServerError, SecretMissing) as exc:
            if isinstance(exc, MailServerError) and exc.permanent:
                log.warning("mailbox %s: replies are not filed: %s", box.name, exc.reason)
                self.services.deliveries.copied(due.id, "failed")
                return "failed"
            self._copy_after[out.mailbox_id] = time.monotonic() + COPY_RETRY_SECONDS
            return "waiting"
        except OSError:  # a file of the reply is gone from the store: the copy cannot be made
            self.services.deliveries.copied(due.id, "failed")
            return "failed"
        finally:
            if session is not None:
                session.close()
        self.services.deliveries.copied(due.id)
        return "done"

    def _mailbox_error(self, mailbox_id: int, reason: str) -> None:
        if self._errors.get(mailbox_id, "") != reason:
            self._errors[mailbox_id] = reason
            self.services.mail.mailboxes.send_failed(mailbox_id, reason)
