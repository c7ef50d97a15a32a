"""Texts and chat messages becoming conversations: an SMS from the shop's phone or Twilio,
a WhatsApp message, a Telegram message. Each event is recorded once by the channel's own id
for it, in the same transaction as the message, so a replayed webhook or a restart never
stores it twice. A customer is found by their phone (E.164) or Telegram id; their text
joins their unresolved conversation, whichever channel it came by, so they never repeat
themselves. STOP and START opt them out of texts and back in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from helpdesk import events
from helpdesk.models.tables import (CHANNELS as CH, CHANNEL_RECORDS as REC, CONVERSATIONS as CONVERSATION,
                                   CUSTOMERS as CUST)
from helpdesk.services.base import Actor, Service, writes
from helpdesk.services.thread_events import insert_event
from helpdesk.services.customers import CustomerIdentity, normalize_phone, resolve_customer
from helpdesk.services.deliveries import DELIVERED, FAILED, SENT
from helpdesk.services.errors import PayloadTooLarge, ValidationFailed
from helpdesk.services.files import MAX_FILES, StagedFile
from helpdesk.services.messaging.sms import keyword
from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database

if TYPE_CHECKING:
    from helpdesk.services.conversations import ConversationService
    from helpdesk.services.deliveries import DeliveryService
    from helpdesk.services.files import FileService

TEXT_KINDS = ("sms", "whatsapp")  # where STOP means no more texts


@dataclass
class IncomingText:
    channel_id: int
    kind: str  # sms | whatsapp | telegram: the conversation's and the replies' channel
    key: str  # unique: "<channel kind>:<the channel's own id for the event>"
    body: str
    phone: str | None = None
    telegram_id: str | None = None
    name: str = ""
    files: list[tuple[str, bytes]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # what a reply needs (a Telegram chat id)


@dataclass(frozen=True)
class TextTaken:
    status: str  # imported | duplicate | stop | start
    conversation_id: int | None = None
    message_id: int | None = None


class MessagingIntake(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings, conversations: ConversationService,
                 files: FileService, deliveries: DeliveryService) -> None:
        super().__init__(db, clock, settings)
        self.conversations = conversations
        self.files = files
        self.deliveries = deliveries

    def seen(self, key: str) -> bool:
        with self.db.read() as s:
            return s.execute(select(REC.c.id).where(REC.c.key == key[:255])).first() is not None

    def receive(self, text: IncomingText) -> TextTaken:
        if self.seen(text.key):
            return TextTaken("duplicate")
        staged: list[StagedFile] = []
        notes: list[str] = []
        for filename, data in text.files[:MAX_FILES]:
            try:
                staged.append(self.files.stage_bytes(data, filename))
            except PayloadTooLarge as exc:
                notes.append(f"[{filename} was not kept: {exc}]")
        body = "\n".join([text.body.strip(), *notes]).strip()
        return self._receive(text, body, tuple(staged))

    @writes
    def _receive(self, text: IncomingText, body: str, files: tuple[StagedFile, ...]) -> TextTaken:
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            if conn.execute(select(REC.c.id).where(REC.c.key == text.key[:255])).first() is not None:
                return TextTaken("duplicate")
            identity = self._identity(text)
            customer_id, _ = resolve_customer(conn, identity, now, Actor.customer())
            state = self.conversations._conversation_for(conn, customer_id, None)
            word = keyword(body) if text.kind in TEXT_KINDS and not files else None
            if word is not None:
                taken = self._opt(tx, conn, customer_id, state, word, text, now)
            else:
                if not body and not files:
                    raise ValidationFailed("an empty message", {"body": "empty"})
                clean = {"body": body, "subject": "", "channel": text.kind}
                meta = {"via": text.channel_id, **text.meta}
                team_id = conn.execute(select(CH.c.team_id).where(CH.c.id == text.channel_id)).scalar() \
                    if state is None else None
                result = self.conversations._append_customer_message(
                    tx, conn, state, customer_id, clean, now, Actor.customer(customer_id), files, meta,
                    team_id=team_id)
                taken = TextTaken("imported", result.conversation_id, result.message_id)
            conn.execute(insert(REC).values(channel_id=text.channel_id, key=text.key[:255], status=taken.status,
                                            message_id=taken.message_id, received_at=now))
            conn.execute(update(CH).where(CH.c.id == text.channel_id).values(last_contact_at=now))
            return taken

    def _identity(self, text: IncomingText) -> CustomerIdentity:
        identity = CustomerIdentity(name=(text.name or "")[:200])
        if text.phone:
            identity.phone = normalize_phone(text.phone, self.settings.default_phone_region)
            if identity.phone is None:
                raise ValidationFailed("not a phone number", {"phone": text.phone[:40]})
        if text.telegram_id:
            identity.telegram = str(text.telegram_id)[:64]
        if not identity.pairs():
            raise ValidationFailed("the message names no sender", {"sender": "missing"})
        return identity

    def _opt(self, tx: Any, conn: Any, customer_id: int, state: Any, word: str, text: IncomingText,
             now: datetime) -> TextTaken:
        """STOP: no more texts to this customer (the agents see why); START: texts again."""
        conn.execute(update(CUST).where(CUST.c.id == customer_id).values(
            sms_opt_out_at=now if word == "stop" else None, updated_at=now))
        target = state.id if state is not None else conn.execute(
            select(CONVERSATION.c.id).where(CONVERSATION.c.customer_id == customer_id)
            .order_by(CONVERSATION.c.last_message_at.desc()).limit(1)).scalar()
        if target is None:
            return TextTaken(word)
        words = (f"The customer texted {text.body.strip().upper()}: no more texts to them until they text START"
                 if word == "stop" else f"The customer texted {text.body.strip().upper()}: texts to them are on again")
        event_id = insert_event(conn, target, now, words, Actor.customer(customer_id), event=f"sms_{word}")
        tx.emit(events.MESSAGE_CREATED, target, message_id=event_id, direction="in", kind="event")
        return TextTaken(word, target, event_id)

    # ---- what the channels report on what they sent ---------------------------------------------

    def delivery_report(self, kind: str, external_id: str, status: str, error: str = "",
                        reference: str = "") -> int | None:
        """sent / delivered / failed for a reply the channel took (by its id for it, or by ours)."""
        if status not in (SENT, DELIVERED, FAILED) or not external_id:
            return None
        return self.deliveries.update_by_external_id(kind, external_id[:255], status, error, reference)
