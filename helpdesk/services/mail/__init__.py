"""Email as a channel's business side: mailboxes and their passwords, mail becoming
conversations, what a reply says when it leaves as mail, and which replies leave by mail.
The IMAP/SMTP work itself is in channels/email."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, exists, insert, select
from sqlalchemy.engine import Connection

from helpdesk import events
from helpdesk.db.direct import prepared
from helpdesk.models import EMAIL, EVENT
from helpdesk.models.tables import (CUSTOMER_IDENTIFIERS as IDENT, DELIVERIES as D, MAILBOXES as MAILBOX,
                                   MESSAGES as MSG)
from helpdesk.services.base import Actor, Service, writes
from helpdesk.services.thread_events import insert_event
from helpdesk.services.mail.intake import CHANNEL, MailIntakeService
from helpdesk.services.mail.mailboxes import MailboxService
from helpdesk.services.mail.outgoing import LINK_MAIL, MailOutService
from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database

if TYPE_CHECKING:
    from helpdesk.services.conversations import ConversationService
    from helpdesk.services.deliveries import DeliveryService
    from helpdesk.services.files import FileService
    from helpdesk.services.links import Links



_HAS_MAILBOX = prepared(select(exists().where(MAILBOX.c.active.is_(True))), settings=True)  # statements built once: every follow-up
_RECENT_EVENTS = select(MSG.c.meta).where(MSG.c.conversation_id == bindparam("b_conversation"), MSG.c.kind == EVENT,
                                          MSG.c.created_at >= bindparam("b_since"))
_FIRST_EMAIL = select(IDENT.c.value).where(IDENT.c.customer_id == bindparam("b_customer"),
                                           IDENT.c.kind == EMAIL).order_by(IDENT.c.id).limit(1)


class MailService(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings, conversations: ConversationService,
                 files: FileService, deliveries: DeliveryService, links: Links) -> None:
        super().__init__(db, clock, settings)
        self.mailboxes = MailboxService(db, clock, settings)
        self.intake = MailIntakeService(db, clock, settings, conversations, self.mailboxes, files, deliveries)
        self.outgoing = MailOutService(db, clock, settings, links, files)
        deliveries.transports.add(CHANNEL)  # email replies are queued and sent by the channel's worker
        deliveries.routers.append(self.route)
        deliveries.reachable.append(self.reachable)

    def reachable(self, conn: Connection, state: Any) -> list[str]:
        """Email, for a customer with an address while a mailbox is set up."""
        has_mailbox = conn.execute(select(exists().where(MAILBOX.c.active.is_(True)))).scalar()
        has_address = conn.execute(select(exists().where(IDENT.c.customer_id == state.customer_id,
                                                         IDENT.c.kind == EMAIL))).scalar()
        return [CHANNEL] if has_mailbox and has_address else []

    def route(self, conn: Connection, state: Any) -> str | None:
        """Email conversations are answered by mail; so are customers who wrote another way, when
        they have an address, a mailbox exists and the owner left notifications on for that way."""
        if state.channel == CHANNEL:
            return CHANNEL
        if state.channel not in self._notify_channels(conn):
            return None
        return CHANNEL if self.reachable(conn, state) else None

    def _notify_channels(self, conn: Connection) -> list[str]:
        from helpdesk.models.tables import APP_SETTINGS
        from helpdesk.services.mail.mailboxes import NOTIFY_DEFAULT, NOTIFY_KEY

        value = conn.execute(select(APP_SETTINGS.c.value).where(APP_SETTINGS.c.key == NOTIFY_KEY)).scalar()
        return list(value["channels"]) if value else list(NOTIFY_DEFAULT)

    @writes
    def mail_link(self, conversation_id: int, customer_id: int) -> bool:
        """Mail the conversation's link to the customer's own address: someone wrote to an existing
        conversation through an integration that does not vouch for them, so the link is not
        handed back to whoever called; the customer gets it where only they read. At most once a
        day per conversation. An event in the thread says so; the outbox sends it."""
        now = self.now()
        with self.db.write() as tx:
            conn = tx.direct()
            # Checked first: a shop without a mailbox (the API and website only) mails nothing, and
            # this runs for every follow-up message the intake API takes.
            if not conn.execute(_HAS_MAILBOX).scalar():
                return False
            recent = conn.execute(_RECENT_EVENTS, {"b_conversation": conversation_id,
                                                   "b_since": now - timedelta(days=1)}).scalars()
            if any(m and m.get("mail") == LINK_MAIL for m in recent):
                return True
            return self._queue_link_mail(tx, conn, conversation_id, customer_id, now)

    def _queue_link_mail(self, tx: Any, conn: Connection, conversation_id: int, customer_id: int, now: Any) -> bool:
        address = conn.execute(_FIRST_EMAIL, {"b_customer": customer_id}).scalar()
        if not address or not conn.execute(_HAS_MAILBOX).scalar():
            return False
        event_id = insert_event(conn, conversation_id, now, f"The conversation link was mailed to {address}",
                                Actor.system(), event="link_mailed", mail=LINK_MAIL, to=address)
        conn.execute(insert(D).values(message_id=event_id, channel=CHANNEL, status="queued", attempts=0,
                                      next_attempt_at=now, last_error="", external_id="", updated_at=now))
        tx.emit(events.MESSAGE_CREATED, conversation_id, message_id=event_id, direction="out", kind=EVENT)
        return True
