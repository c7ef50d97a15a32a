"""One mailbox's fetch loop, in its own thread: log in, open the folder, take every mail
after the last UID taken (in batches, each mail its own short transaction with its UID
recorded), then wait with IDLE (a new mail is in within seconds) or poll. Offline is normal:
the reason is recorded for Settings and the banner, and it tries again with backoff."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError

from helpdesk.channels.email.errors import MailServerError, explain
from helpdesk.events import WakeableLoop
from helpdesk.channels.email.imap import ImapSession
from helpdesk.channels.email.parse import parse_mail
from helpdesk.models import Mailbox
from helpdesk.services.errors import ServiceError
from helpdesk.services.mail.secrets import SecretMissing

log = logging.getLogger(__name__)
BATCH = 25
FIRST_BACKOFF, MOST_BACKOFF = 5.0, 300.0  # seconds before trying a failed connection again
HISTORY_AFTER = timedelta(days=14)  # on a first fetch, older mail is history: imported resolved


class MailboxFetcher(WakeableLoop):
    """A pass is one connection: it catches up and then waits for mail (IDLE or polling) until
    it fails or stops; after a failure the next is tried after a backoff (5 s doubling to 5 min,
    or at once when woken: "Fetch now")."""

    doing = "fetching mail"

    def __init__(self, services, box: Mailbox) -> None:
        super().__init__(None, set(), FIRST_BACKOFF, name=f"mail-{box.name}")
        self.services = services
        self.box = box
        self.idling = threading.Event()  # IDLE is on: a new mail is reported as it lands
        self._backoff = FIRST_BACKOFF  # the wait after the next failure

    def one_pass(self) -> bool:
        mailboxes = self.services.mail.mailboxes
        session: ImapSession | None = None
        url = None
        try:
            connection = mailboxes.connection(self.box)
            url = connection.imap
            session = ImapSession(url).open()
            validity = session.select(connection.folder)
            box = mailboxes.get(self.box.id)
            last_uid = int(box.last_uid)
            if box.uidvalidity != validity:
                mailboxes.start_over(box.id, validity)
                last_uid = 0
            first_pass = last_uid == 0
            while not self.stop_event.is_set():
                last_uid = self._catch_up(session, last_uid, first_pass, connection.mark_read)
                first_pass = False
                mailboxes.fetched(self.box.id)
                self._backoff = FIRST_BACKOFF
                self._wake.clear()
                if session.has_idle:
                    session.wait(self.stop_event, self._wake, connection.poll_seconds, self.idling)
                else:
                    self._wake.wait(connection.poll_seconds)
                    session.noop()
        except (MailServerError, SecretMissing) as exc:
            self._failed(str(exc))
        except DBAPIError as exc:  # the database is unreachable (PostgreSQL restarting): later
            self._failed(f"the database is not answering ({exc.__class__.__name__}); mail waits on the server")
        except Exception as exc:
            if url is None:
                log.exception("mailbox %s cannot start fetching", self.box.name)
                self._failed(f"{exc.__class__.__name__}: {exc}"[:300])
            else:
                self._failed(explain(exc, url))
        finally:
            if session is not None:
                session.close()
        return False

    def _failed(self, reason: str) -> None:
        self.idle_seconds, self._backoff = self._backoff, min(self._backoff * 2, MOST_BACKOFF)
        log.warning("mailbox %s: %s", self.box.name, reason)
        try:
            self.services.mail.mailboxes.fetched(self.box.id, error=reason)
        except Exception as exc:  # the mailbox was removed meanwhile, or the database is closing
            log.info("mailbox %s: could not record its error (%s)", self.box.name, exc.__class__.__name__)

    def _catch_up(self, session: ImapSession, last_uid: int, first_pass: bool, mark_read: bool) -> int:
        uids = session.uids_after(last_uid)
        for start in range(0, len(uids), BATCH):
            if self.stop_event.is_set():
                break
            batch = uids[start:start + BATCH]
            fetched = session.fetch(batch)
            for uid in batch:
                if self.stop_event.is_set():
                    return last_uid
                raw, when = fetched.get(uid, (b"", None))
                if raw:
                    self._take(uid, raw, when, first_pass)
                    if mark_read:
                        session.mark_read([uid])
                else:  # gone between listing and fetching
                    self.services.mail.intake.advance(self.box.id, uid)
                last_uid = uid
        return last_uid

    def _take(self, uid: int, raw: bytes, when: datetime | None, first_pass: bool) -> None:
        intake = self.services.mail.intake
        try:
            mail = parse_mail(raw)
        except Exception as exc:
            intake.unreadable(self.box.id, raw, uid, f"could not be read: {exc}")
            return
        history = bool(first_pass and when is not None and when < self.services.clock.now() - HISTORY_AFTER)
        try:
            intake.take(self.box.id, mail, uid, history=history)
        except DBAPIError:
            raise  # not this mail's fault: stop here and take it again later
        except (ServiceError, ValueError, LookupError, TypeError) as exc:
            log.warning("mailbox %s: mail %s could not be imported: %s", self.box.name, uid, exc)
            intake.unreadable(self.box.id, raw, uid, f"could not be imported: {exc}")
