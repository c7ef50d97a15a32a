"""Texts and chat apps as a channel's business side: the configured channels and their
secrets, texts becoming conversations, which replies may leave as a text (opt-outs,
WhatsApp's 24 hours) and what such a reply says. The HTTP work with the phone, Telegram
and Twilio is in channels/texts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy import select
from sqlalchemy.engine import Connection

from helpdesk import events
from helpdesk.models import IN, PHONE, REPLY, TELEGRAM, Attachment
from helpdesk.models.tables import CHANNELS, CONVERSATIONS, CUSTOMERS as CUST, CUSTOMER_IDENTIFIERS as IDENT, MESSAGES as MSG
from helpdesk.services.base import Actor, Service, stored_id, writes
from helpdesk.services.deliveries import Due
from helpdesk.services.errors import Conflict
from helpdesk.services.mail.secrets import SecretBox
from helpdesk.services.messaging.config import ChannelService, carries
from helpdesk.services.messaging.intake import MessagingIntake
from helpdesk.services.rich_words import words_of

if TYPE_CHECKING:  # for annotations only: the container wires these services together
    from helpdesk.clock import Clock
    from helpdesk.config import Settings
    from helpdesk.db import Database
    from helpdesk.services.conversations import ConversationService
    from helpdesk.services.deliveries import DeliveryService
    from helpdesk.services.files import FileService
    from helpdesk.services.links import Links

TEXT_CHANNELS = ("sms", "whatsapp", "telegram")
WHATSAPP_WINDOW = timedelta(hours=24)
# The ways a reply can leave, as agents read them (web and api: the customer's conversation page).
LABELS = {"sms": "SMS", "whatsapp": "WhatsApp", "telegram": "Telegram", "email": "Email",
          "web": "their conversation page", "api": "their conversation page", "chat": "Chat"}


@dataclass(frozen=True)
class OutgoingFile:
    filename: str
    content_type: str
    path: Path
    url: str = ""  # a signed link on the public address, for channels that fetch files (Twilio MMS)


@dataclass(frozen=True)
class OutgoingText:
    """A reply as a text: which configured channel carries it, to whom, what it says."""

    delivery_id: int
    channel_id: int
    kind: str  # sms | whatsapp | telegram
    to: str  # +E.164, or a Telegram chat id
    text: str
    files: tuple[OutgoingFile, ...] = ()
    reference: str = ""  # our id for it, the same on every try (the phone's idempotency)
    choices: tuple[str, ...] = ()  # answers to tap, for channels with buttons (Telegram); in `text` for others


@dataclass(frozen=True)
class NotSendable:
    reason: str
    retry: bool = False


class MessagingService(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings, conversations: ConversationService,
                 files: FileService, deliveries: DeliveryService, secret_box: Callable[[], SecretBox],
                 links: Links) -> None:
        super().__init__(db, clock, settings)
        self.files = files
        self.links = links
        self.channels = ChannelService(db, clock, settings, secret_box)
        self.intake = MessagingIntake(db, clock, settings, conversations, files, deliveries)
        deliveries.transports.update(TEXT_CHANNELS)
        deliveries.guards.update({"sms": self._guard_sms, "whatsapp": self._guard_whatsapp,
                                  "telegram": self._guard_telegram})
        deliveries.reachable.append(self.reachable)
        self.payments: Any = None  # the payment service, for a payment card's words (set by the container)

    # ---- which channels can carry a reply now ------------------------------------------------

    def _carriers(self, conn: Connection) -> dict[str, bool]:
        rows = conn.execute(select(CHANNELS.c.kind, CHANNELS.c.config).where(CHANNELS.c.active.is_(True))).all()
        out = {k: False for k in TEXT_CHANNELS}
        for kind, config in rows:
            for carried in carries(kind, config):
                out[carried] = True
        return out

    def reachable(self, conn: Connection, state: Any) -> list[str]:
        idents = {k: v for k, v in conn.execute(select(IDENT.c.kind, IDENT.c.value)
                                                .where(IDENT.c.customer_id == state.customer_id))}
        carriers = self._carriers(conn)
        out = []
        if PHONE in idents and carriers["sms"]:
            out.append("sms")
        if PHONE in idents and carriers["whatsapp"] and self._last_whatsapp(conn, state.customer_id):
            out.append("whatsapp")
        if TELEGRAM in idents and carriers["telegram"]:
            out.append("telegram")
        return out

    def _guard_sms(self, conn: Connection, state: Any, now: datetime) -> None:
        opted_out = conn.execute(select(CUST.c.sms_opt_out_at).where(CUST.c.id == state.customer_id)).scalar()
        if opted_out is not None:
            raise Conflict(f"the customer texted STOP on {opted_out:%Y-%m-%d}: no texts to them until they text "
                           f"START; answer another way", {"via": "the customer opted out of texts"})
        self._need(conn, "sms", "no SMS channel is set up (Settings › Channels)")

    def _guard_whatsapp(self, conn: Connection, state: Any, now: datetime) -> None:
        self._need(conn, "whatsapp", "no WhatsApp sender is set up (Settings › Channels)")
        last = self._last_whatsapp(conn, state.customer_id)
        if last is None or now - last > WHATSAPP_WINDOW:
            raise Conflict("WhatsApp allows a free reply only within 24 hours of the customer's last message; "
                           "it has been longer: answer another way, or wait for them to write",
                           {"via": "outside WhatsApp's 24-hour window"})

    def _guard_telegram(self, conn: Connection, state: Any, now: datetime) -> None:
        self._need(conn, "telegram", "no Telegram bot is set up (Settings › Channels)")

    def _need(self, conn: Connection, kind: str, reason: str) -> None:
        if not self._carriers(conn)[kind]:
            raise Conflict(reason, {"via": reason})

    @staticmethod
    def _last_whatsapp(conn: Connection, customer_id: int) -> datetime | None:
        conv = CONVERSATIONS
        return conn.execute(select(MSG.c.created_at).join(conv, conv.c.id == MSG.c.conversation_id).where(
            conv.c.customer_id == customer_id, MSG.c.direction == IN, MSG.c.kind == REPLY,
            MSG.c.channel == "whatsapp").order_by(MSG.c.created_at.desc()).limit(1)).scalar()

    def whatsapp_window(self, customer_id: int) -> datetime | None:
        """When the free WhatsApp reply window to this customer closes (None: never opened)."""
        with self.db.read() as s:
            last = self._last_whatsapp(s.connection(), customer_id)
        return last + WHATSAPP_WINDOW if last else None

    def opted_out(self, customer_id: int) -> datetime | None:
        with self.db.read() as s:
            return s.execute(select(CUST.c.sms_opt_out_at).where(CUST.c.id == customer_id)).scalar()

    @writes
    def may_arrive_twice(self, message_id: int, label: str) -> None:
        """Said in the thread, not guessed: Helpdesk stopped while this reply was being sent by a
        channel that cannot tell whether it went, so it is sent again and may arrive twice."""
        from helpdesk.services.thread_events import insert_event

        with self.db.write() as tx:
            conn = tx.session.connection()
            conversation_id = conn.execute(select(MSG.c.conversation_id).where(MSG.c.id == message_id)).scalar()
            if conversation_id is None:
                return
            text = (f"Helpdesk stopped while sending a reply by {label}, and {label} cannot tell whether it went: "
                    "it was sent again, so the customer may see it twice.")
            event_id = insert_event(conn, conversation_id, self.now(), text, Actor.system(), event="resent",
                                    message_id=message_id)
            tx.emit(events.MESSAGE_CREATED, conversation_id, message_id=event_id, direction="out", kind="event")

    # ---- what a reply says as a text ------------------------------------------------------------

    def compose(self, due: Due) -> OutgoingText | NotSendable:
        carrying = [stored_id(c) for c in self.channels.carrying(due.channel)]
        with self.db.read() as s:
            conn = s.connection()
            message = conn.execute(select(MSG).where(MSG.c.id == due.message_id)).first()
            if message is None:
                return NotSendable("the message is gone")

            conv = CONVERSATIONS
            customer_id: int = conn.execute(select(conv.c.customer_id)
                                            .where(conv.c.id == message.conversation_id)).scalar_one()
            ident_kind = TELEGRAM if due.channel == "telegram" else PHONE
            to = conn.execute(select(IDENT.c.value).where(IDENT.c.customer_id == customer_id,
                                                          IDENT.c.kind == ident_kind).order_by(IDENT.c.id.desc())
                              .limit(1)).scalar()
            if not to:
                return NotSendable(f"the customer has no {'Telegram account' if ident_kind == TELEGRAM else 'phone number'}")
            if due.channel == "sms" and conn.execute(select(CUST.c.sms_opt_out_at)
                                                     .where(CUST.c.id == customer_id)).scalar() is not None:
                return NotSendable("not sent: the customer texted STOP")
            channel_id = self._carrier_for(conn, due.channel, customer_id, carrying)
            public = self.links.public_url() or ""
            files = tuple(OutgoingFile(a.filename, a.content_type, self.files.path_of(a.sha256),
                                       public + self.files.signed_path(a) if public else "") for a in s.execute(
                select(Attachment).where(Attachment.message_id == message.id)).scalars())
            words = words_of(self.payments, conn, message, numbered=due.channel != "telegram")
        if channel_id is None:
            return NotSendable(f"no {LABELS[due.channel]} channel is set up (Settings › Channels)", retry=True)
        if due.channel in ("telegram", "whatsapp") and words.payment is not None:  # chat apps show the QR code
            files += self._qr_photo(words.payment, public + self.payments.qr_path(words.token, words.payment)
                                    if public else "")
        return OutgoingText(due.id, channel_id, due.channel, to, words.text, files,
                            reference=f"helpdesk-{due.id}", choices=words.choices if due.channel == "telegram" else ())

    def _qr_photo(self, card: Any, url: str) -> tuple[OutgoingFile, ...]:
        """The EPC QR code as a photo: its bytes for Telegram, its address on the public side for
        Twilio to fetch (WhatsApp; none without a public address)."""
        png = self.payments.girocode_of(card)
        if png is None:
            return ()
        staged = self.files.stage_bytes(png, "payment-qr.png")
        self.files.landed([staged])  # no message keeps it: the nightly collection removes it later
        return (OutgoingFile(staged.filename, staged.content_type, self.files.path_of(staged.sha256), url),)

    @staticmethod
    def _carrier_for(conn: Connection, kind: str, customer_id: int, carrying: list[int]) -> int | None:
        """The channel the customer last wrote through (their texts come from that number), else
        the first active one that carries this kind."""

        conv = CONVERSATIONS
        metas = conn.execute(select(MSG.c.meta).join(conv, conv.c.id == MSG.c.conversation_id).where(
            conv.c.customer_id == customer_id, MSG.c.direction == IN, MSG.c.channel == kind)
            .order_by(MSG.c.id.desc()).limit(5)).scalars()
        for meta in metas:
            if meta and meta.get("via") in carrying:
                return int(meta["via"])
        return carrying[0] if carrying else None
