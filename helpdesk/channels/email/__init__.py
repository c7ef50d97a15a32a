"""The email channel: a fetch loop per active mailbox (IMAP IDLE or polling), one sender
for the outbox's email replies, and `check` for Settings and `mailbox check`. Mailboxes
added, changed or removed while Helpdesk runs (from Settings or the command line, in this
process or another) are picked up within seconds, without a restart."""

from __future__ import annotations

import logging

from helpdesk.events import MAILBOX_CHANGED
from helpdesk.channels.email.fetcher import MailboxFetcher
from helpdesk.channels.email.imap import check_imap
from helpdesk.channels.email.sender import EmailSender
from helpdesk.channels.email.smtp import check_smtp
from helpdesk.channels.reload import ConfigWatch
from helpdesk.models import Mailbox
from helpdesk.services.mail.secrets import SecretMissing

log = logging.getLogger(__name__)


def check(services, box: Mailbox) -> list[str]:
    """Log in to both servers; [] when both work, else one line per problem."""
    try:
        connection = services.mail.mailboxes.connection(box)
    except SecretMissing as exc:
        return [str(exc)]
    problems = [check_imap(connection.imap, connection.folder), check_smtp(connection.smtp)]
    return [p for p in problems if p]


def check_urls(imap, smtp, folder: str) -> list[str]:
    """The same check for settings not saved yet (MailUrls with their passwords)."""
    return [p for p in (check_imap(imap, folder or "INBOX"), check_smtp(smtp)) if p]


class EmailChannel:
    def __init__(self, services, send_interval: float = 1.0) -> None:
        self.services = services
        self.sender = EmailSender(services, send_interval)
        self.fetchers: dict[int, tuple[object, MailboxFetcher]] = {}
        self.watch = ConfigWatch(services.events, {MAILBOX_CHANGED}, self._sync, "mailboxes")

    def start(self) -> "EmailChannel":
        self.sender.start()
        self._sync()
        self.watch.start()
        return self

    def stop(self) -> None:
        self.watch.stop()
        for _, fetcher in self.fetchers.values():
            fetcher.stop_event.set()
        for _, fetcher in self.fetchers.values():
            fetcher.stop()
        self.fetchers.clear()
        self.sender.stop()

    def fetch_now(self) -> None:
        for _, fetcher in self.fetchers.values():
            fetcher.wake()

    def _sync(self) -> None:
        """Start a fetch loop for each active mailbox, restart it when the mailbox changed."""
        wanted = {b.id: b for b in self.services.mail.mailboxes.all() if b.active}
        for box_id in list(self.fetchers):
            stamp, fetcher = self.fetchers[box_id]
            box = wanted.get(box_id)
            if box is None or _stamp(box) != stamp:
                fetcher.stop()
                del self.fetchers[box_id]
        for box_id, box in wanted.items():
            if box_id not in self.fetchers:
                self.fetchers[box_id] = (_stamp(box), MailboxFetcher(self.services, box).start())


def _stamp(box: Mailbox) -> object:
    """What, when changed, needs a new connection (not the progress or error columns)."""
    return (box.updated_at, box.imap_url, box.smtp_url, box.folder, box.poll_seconds, box.mark_read, box.name,
            box.imap_secret, box.secret_store)
