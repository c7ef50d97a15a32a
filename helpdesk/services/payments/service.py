"""Payment requests in a conversation: asked for ("49.90 EUR for the brake service"), shown to
the customer with every way the shop takes payment, and closed as paid (by Stripe's event, or
by hand: "the transfer arrived"), cancelled, or expired after the set number of days.

The request's card is a public reply in the thread, written with it in one transaction; a
Stripe Checkout link, when Stripe is set up, is made afterwards by the payments worker (the
request is its outbox: offline, it waits there and is created once, with an idempotency key).
Nothing of a card ever reaches Helpdesk: Stripe's page takes it and reports back."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import quote

from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import Connection

from helpdesk.events import OUTBOX_ENQUEUED, PAYMENT_CHANGED
from helpdesk import events
from helpdesk.db import Transaction
from helpdesk.models import PENDING
from helpdesk.models.payments import CANCELLED, EXPIRED, PAID, REQUESTED
from helpdesk.models.tables import CHANNEL_RECORDS as RECORD, CONVERSATIONS as CONV, PAYMENT_REQUESTS as PR
from helpdesk.services.automation.record import record as record_for_rules
from helpdesk.services.base import TEAM, Actor, Service, audit, new_id, require_role, require_scope, writes
from helpdesk.services.conversations.common import load_state
from helpdesk.services.thread_events import insert_event
from helpdesk.services.errors import Conflict, NotFound, ValidationFailed
from helpdesk.services.outbox import enqueue
from helpdesk.services.payments.card import PaymentCard, card_of
from helpdesk.services.payments.money import currency_code, money_words, parse_amount
from helpdesk.services.payments.reference import rf_reference
from helpdesk.services.payments.stripe_events import StripeEvent
from helpdesk.services.payments.ways import PaymentWays, PaymentWaysService
from helpdesk.services.promise import shop_time

if TYPE_CHECKING:  # for annotations only: the container wires these services together
    from helpdesk.clock import Clock
    from helpdesk.config import Settings
    from helpdesk.db import Database
    from helpdesk.services.conversations import ConversationService
    from helpdesk.services.links import Links
    from helpdesk.services.mail.secrets import SecretBox
    from helpdesk.services.promise import PromiseService

MAX_DESCRIPTION = 140
STRIPE_GIVE_UP_AFTER = 300  # tries, about three days at the 15-minute cap
STRIPE_RENEW = timedelta(hours=23)  # a Checkout session lasts at most 24 hours: a fresh one before then


class PaymentService(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings, conversations: ConversationService,
                 links: Links, promise: PromiseService, secret_box: Callable[[], SecretBox]) -> None:
        super().__init__(db, clock, settings)
        self.conversations = conversations
        self.promise = promise
        self.links = links
        self.ways = PaymentWaysService(db, clock, settings, secret_box)

    # ---- what the customer is shown -----------------------------------------------------------

    def link_url(self, ways: PaymentWays, card: PaymentCard) -> str:
        """The shop's own payment link with the amount and reference filled in."""
        if not ways.link:
            return ""
        return ways.link.replace("{amount}", quote(card.amount)).replace("{reference}", quote(card.reference))

    def card_url(self, token: str, card: PaymentCard) -> str:
        """Our address for "Pay by card": it leads to the request's current Checkout session, so a
        link sent days ago still works after Stripe's 24 hours."""
        return f"{self.links.base_url()}/c/{token}/pay/{card.id}/card"

    def qr_path(self, token: str, card: PaymentCard) -> str:
        return f"/c/{token}/pay/{card.id}/qr.png"

    def shows_qr(self, ways: PaymentWays, card: PaymentCard) -> bool:
        """EPC069-12 carries euros only."""
        return ways.bank is not None and card.currency == "EUR"

    def paid_words(self, card: PaymentCard) -> str:
        """"Paid 3 Dec, 14:05", in the shop's time zone."""
        if card.paid_at is None:
            return ""
        return f"Paid {shop_time(card.paid_at, self.promise.zone())}"

    def as_text(self, card: PaymentCard, token: str) -> str:
        """The request for channels that carry text (SMS, WhatsApp, Telegram, mail's plain part)."""
        ways = self.ways.now_set()
        lines = [f"Payment request: {card.money} for {card.description}"]
        if card.status == PAID:
            lines.append(self.paid_words(card) + ". Thank you!")
            return "\n".join(lines)
        if card.status in (CANCELLED, EXPIRED):
            lines.append(f"This request was {card.status}.")
            return "\n".join(lines)
        if card.stripe_url:
            lines.append(f"Pay by card: {self.card_url(token, card)}")
        if (link := self.link_url(ways, card)):
            lines.append(f"Pay online: {link}")
        if ways.bank:
            lines.append(f"Bank transfer to {ways.bank.holder}, IBAN {ways.bank.iban_spaced}"
                         + (f", BIC {ways.bank.bic}" if ways.bank.bic else "")
                         + f", reference {card.reference_spaced}")
        lines.append(f"All ways to pay: {self.links.conversation(token)}#pay{card.id}")
        return "\n".join(lines)

    def described(self, card: PaymentCard, token: str) -> dict[str, Any]:
        """The API's and webhooks' view of a request."""
        ways = self.ways.now_set()
        base = self.links.base_url()
        return {"id": card.id, "conversation_id": card.conversation_id, "message_id": card.message_id,
                "status": card.status, "reference": card.reference, "amount": card.amount, "currency": card.currency,
                "description": card.description, "created_at": card.created_at.isoformat(),
                "expires_at": card.expires_at.isoformat() if card.expires_at else None,
                "paid_at": card.paid_at.isoformat() if card.paid_at else None, "paid_via": card.paid_via or None,
                "pay_url": f"{self.links.conversation(token)}#pay{card.id}",
                "qr_url": base + self.qr_path(token, card) if self.shows_qr(ways, card) else None,
                "stripe_url": card.stripe_url or None, "link_url": self.link_url(ways, card) or None,
                "card_url": self.card_url(token, card) if card.stripe_url else None}

    # ---- reading ------------------------------------------------------------------------------

    def of_conversation(self, conversation_id: int) -> list[PaymentCard]:
        now = self.now()
        with self.db.read() as s:
            if s.execute(select(CONV.c.id).where(CONV.c.id == conversation_id)).first() is None:
                raise NotFound(f"conversation {conversation_id} not found")
            rows = s.execute(select(PR).where(PR.c.conversation_id == conversation_id).order_by(PR.c.id)).all()
        return [card_of(r, now) for r in rows]

    def get(self, request_id: int) -> PaymentCard:
        with self.db.read() as s:
            row = s.execute(select(PR).where(PR.c.id == request_id)).first()
        if row is None:
            raise NotFound(f"payment request {request_id} not found")
        return card_of(row, self.now())

    def girocode_of(self, card: PaymentCard) -> bytes | None:
        """The EPC QR code of an open EUR request, as PNG (None when there is none to show)."""
        from helpdesk.services.payments.girocode import epc_png

        ways = self.ways.now_set()
        if card.status != REQUESTED or not self.shows_qr(ways, card):
            return None
        bank = ways.bank
        if bank is None:  # shows_qr said there is one
            return None
        return epc_png(bank.holder, bank.iban, bank.bic, card.amount_minor, card.reference)

    def girocode_png(self, token: str, request_id: int) -> bytes | None:
        """The QR code of an open EUR request on the conversation this customer link opens; None otherwise."""
        try:
            detail_id = self.conversations.conversation_id_by_token(token)
        except NotFound:
            return None
        try:
            card = self.get(request_id)
        except NotFound:
            return None
        return self.girocode_of(card) if card.conversation_id == detail_id else None

    def cards_for_customer(self, token: str, cards: dict[int, PaymentCard]) -> dict[int, dict[str, Any]]:
        """A thread's cards (message id → card, read with the thread) as the chat draws them
        (absolute links: the chat runs on the shop's own site)."""
        ways = self.ways.now_set()
        base = self.links.base_url()
        out = {}
        for message_id, card in cards.items():
            state = {"requested": "Waiting for your payment", "cancelled": "Cancelled", "expired": "Expired"}.get(
                card.status, self.paid_words(card))
            open_ = card.status == REQUESTED
            out[message_id] = {
                "id": card.id, "status": card.status, "state": state, "money": card.money,
                "description": card.description, "reference": card.reference_spaced,
                "pay_url": f"{self.links.conversation(token)}#pay{card.id}",
                "stripe_url": self.card_url(token, card) if open_ and card.stripe_url else "",
                "link_url": self.link_url(ways, card) if open_ else "",
                "qr": base + self.qr_path(token, card) if open_ and self.shows_qr(ways, card) else "",
                "bank": {"holder": ways.bank.holder, "iban": ways.bank.iban_spaced, "bic": ways.bank.bic}
                if open_ and ways.bank else None}
        return out

    def token_of(self, conversation_id: int) -> str:
        with self.db.read() as s:
            return s.execute(select(CONV.c.public_token).where(CONV.c.id == conversation_id)).scalar() or ""

    # ---- asking -------------------------------------------------------------------------------

    def request(self, conversation_id: int, actor: Actor, amount: object, currency: str, description: str,
                via: str | None = None) -> PaymentCard:
        """A payment request and its card in the thread; the conversation then waits on the customer."""
        require_role(actor, *TEAM, doing="request a payment")
        require_scope(actor, "reply", "request a payment")
        fields: dict[str, str] = {}
        code = amount_minor = None
        try:
            code = currency_code(currency)
        except ValidationFailed as exc:
            fields.update(exc.fields)
        if code is not None:
            try:
                amount_minor = parse_amount(amount, code)
            except ValidationFailed as exc:
                fields.update(exc.fields)
        description = " ".join((description or "").split())
        if not description:
            fields["description"] = "say what it is for, e.g. Brake service"
        elif len(description) > MAX_DESCRIPTION:
            fields["description"] = f"must be at most {MAX_DESCRIPTION} characters"
        if fields or code is None or amount_minor is None:
            raise ValidationFailed("the payment request was not sent", fields)
        ways = self.ways.now_set()
        if not ways.any:
            raise Conflict("no way to pay is set up yet: add a bank account, Stripe or a payment link in "
                           "Settings › Payments", {"payments": "none set up"})
        return self._request(conversation_id, actor, amount_minor, code, description, via, ways)

    @writes
    def _request(self, conversation_id: int, actor: Actor, amount_minor: int, code: str, description: str,
                 via: str | None, ways: PaymentWays) -> PaymentCard:
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            state = load_state(conn, conversation_id)
            request_id = new_id(conn.execute(insert(PR).values(
                conversation_id=conversation_id, amount_minor=amount_minor, currency=code, description=description,
                reference="", status=REQUESTED, created_at=now, created_by=actor.name or actor.role,
                expires_at=now + timedelta(days=ways.expire_days), paid_via="", closed_by="",
                stripe_state="pending" if ways.stripe_api else "", stripe_session_id="", stripe_url="",
                stripe_attempts=0, stripe_next_at=now if ways.stripe_api else None,
                stripe_error="")))
            reference = rf_reference(conversation_id, request_id)
            body = f"Payment request: {money_words(amount_minor, code)} for {description}"
            written = self.conversations.reply_in(tx, conn, state, actor, body, PENDING, (), via,
                                                  {"payment_request_id": request_id}, now)
            conn.execute(update(PR).where(PR.c.id == request_id).values(reference=reference,
                                                                        message_id=written.message_id))
            card = card_of(conn.execute(select(PR).where(PR.c.id == request_id)).first(), now)
            self._announce(tx, conn, "payment.requested", card, state.public_token, now)
            audit(conn, now, actor, "payment.requested", conversation_id, request=request_id,
                  amount=card.money, reference=reference)
            return card

    def _announce(self, tx: Transaction, conn: Connection, event: str, card: PaymentCard, token: str,
                  now: datetime) -> None:
        enqueue(conn, event, card.conversation_id, {"conversation_id": card.conversation_id,
                                                    "payment": self.described(card, token)}, now)
        tx.emit(OUTBOX_ENQUEUED, card.conversation_id)
        tx.emit(PAYMENT_CHANGED, card.conversation_id, request_id=card.id, status=card.status)
        tx.emit(events.CONVERSATION_UPDATED, card.conversation_id)

    # ---- closing ------------------------------------------------------------------------------

    def cancel(self, request_id: int, actor: Actor) -> PaymentCard:
        require_role(actor, *TEAM, doing="cancel a payment request")
        require_scope(actor, "reply", "cancel a payment request")
        return self._close(request_id, actor, CANCELLED, "")

    def mark_paid(self, request_id: int, actor: Actor, via: str = "hand") -> PaymentCard:
        """Marked by hand ("the transfer arrived"), or by Stripe's event (actor: the system)."""
        if via == "hand":
            require_role(actor, *TEAM, doing="mark a payment as paid")
            require_scope(actor, "reply", "mark a payment as paid")
        return self._close(request_id, actor, PAID, via)

    @writes
    def _close(self, request_id: int, actor: Actor, status: str, via: str) -> PaymentCard:
        with self.db.write() as tx:
            return self._close_in(tx, tx.session.connection(), request_id, actor, status, via, self.now())

    @writes
    def take_stripe_event(self, event: StripeEvent) -> str:
        """A verified Stripe event, once (its id is kept): "paid", "duplicate", or "ignored"."""
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            key = f"stripe:{event.id}"
            if conn.execute(select(RECORD.c.id).where(RECORD.c.key == key)).first() is not None:
                return "duplicate"
            outcome = "ignored"
            if event.paid and event.request_id is not None:
                row = conn.execute(select(PR.c.id, PR.c.reference, PR.c.stripe_session_id)
                                   .where(PR.c.id == event.request_id)).first()
                # A session Helpdesk made for this request: the current one, or an earlier one (renewed
                # daily) that carries the request's own reference.
                if row is not None and (row.stripe_session_id == event.session_id or
                                        (event.reference and event.reference == row.reference)):
                    self._close_in(tx, conn, row.id, Actor.system(), PAID, "stripe", now)
                    outcome = "paid"
            conn.execute(insert(RECORD).values(channel_id=None, key=key, status=outcome, received_at=now))
            return outcome

    def _close_in(self, tx: Transaction, conn: Connection, request_id: int, actor: Actor, status: str, via: str,
                  now: datetime) -> PaymentCard:
        row = conn.execute(select(PR).where(PR.c.id == request_id)).first()
        if row is None:
            raise NotFound(f"payment request {request_id} not found")
        current = card_of(row, now).status
        if current == status:
            return card_of(row, now)  # the same news twice (Stripe retries, two clicks) changes nothing
        # A late payment still counts: money that arrived after the request expired or was
        # cancelled is money the shop has, and the thread says so.
        if status == CANCELLED and current != REQUESTED:
            raise Conflict(f"this request is already {current}", {"status": current})
        by = "Stripe" if via == "stripe" else (actor.name or actor.role)
        conn.execute(update(PR).where(PR.c.id == request_id).values(
            status=status, closed_by=by, **({"paid_at": now, "paid_via": via} if status == PAID else {})))
        card = card_of(conn.execute(select(PR).where(PR.c.id == request_id)).first(), now)
        state = load_state(conn, card.conversation_id)
        if status == PAID:
            how = "through Stripe" if via == "stripe" else f"marked by {by}"
            text = f"{self.paid_words(card)}: {card.money} for {card.description} ({how})"
        else:
            text = f"{by} cancelled the payment request: {card.money} for {card.description}"
        event_id = insert_event(conn, card.conversation_id, now, text, actor, event=f"payment.{status}",
                                payment_request_id=card.id)
        tx.emit(events.MESSAGE_CREATED, card.conversation_id, message_id=event_id, direction="out", kind="event")
        self._announce(tx, conn, f"payment.{status}", card, state.public_token, now)
        if status == PAID:
            self._receipt(tx, conn, state, card, now)
            record_for_rules(tx, conn, "payment_paid", card.conversation_id, now, payment_request_id=card.id)
        audit(conn, now, actor, f"payment.{status}", card.conversation_id, request=card.id, amount=card.money,
              via=via or None)
        return card

    def _receipt(self, tx: Transaction, conn: Connection, state: Any, card: PaymentCard, now: datetime) -> None:
        """The customer hears it arrived, where they are (an automatic reply: no status or clock moves)."""
        text = f"{self.paid_words(card)}: {card.money} for {card.description}. Thank you!"
        try:
            self.conversations.automatic_reply_in(tx, conn, state, text, now, {
                "automatic": "payment", "rule_title": "Payment received", "payment_request_id": card.id})
        except Conflict:
            pass  # the channel refuses now (a STOP, WhatsApp's 24 hours): the card on their page says it

    @writes
    def expire_due(self) -> int:
        """Requests past their days: expired (the job, every few minutes)."""
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            rows = conn.execute(select(PR.c.id).where(PR.c.status == REQUESTED, PR.c.expires_at <= now)
                                .limit(500)).scalars().all()
            if rows:
                conn.execute(update(PR).where(PR.c.id.in_(rows)).values(status=EXPIRED))
                for conversation_id in set(conn.execute(select(PR.c.conversation_id).where(PR.c.id.in_(rows)))
                                           .scalars()):
                    tx.emit(PAYMENT_CHANGED, conversation_id)
                    tx.emit(events.CONVERSATION_UPDATED, conversation_id)
            return len(rows)

    # ---- Stripe's side (the payments worker) ---------------------------------------------------

    def stripe_due(self, limit: int = 10) -> list[PaymentCard]:
        """Open requests whose Checkout link is still to be made, or is about to run out (Stripe
        keeps a session open at most 24 hours; a request stays open for days), oldest first."""
        now = self.now()
        with self.db.read() as s:
            rows = s.execute(select(PR).where(PR.c.stripe_state.in_(("pending", "ready")), PR.c.stripe_next_at <= now,
                                              PR.c.status == REQUESTED, or_(PR.c.expires_at.is_(None),
                                                                            PR.c.expires_at > now))
                             .order_by(PR.c.id).limit(limit)).all()
        return [card_of(r, now) for r in rows]

    def card_link(self, token: str, request_id: int) -> str | None:
        """Where the customer's "Pay by card" goes now: the request's current Checkout session
        (None: no open request with one on the conversation this link opens)."""
        try:
            conversation_id = self.conversations.conversation_id_by_token(token)
            card = self.get(request_id)
        except NotFound:
            return None
        if card.conversation_id != conversation_id or card.status != REQUESTED or not card.stripe_url:
            return None
        return card.stripe_url

    @writes
    def stripe_ready(self, request_id: int, session_id: str, url: str) -> None:
        """The session is made; it is made again before Stripe's 24 hours run out (STRIPE_RENEW)."""
        with self.db.write() as tx:
            conn = tx.session.connection()
            conn.execute(update(PR).where(PR.c.id == request_id).values(
                stripe_state="ready", stripe_session_id=session_id[:255], stripe_url=url[:1000], stripe_error="",
                stripe_attempts=0, stripe_next_at=self.now() + STRIPE_RENEW))
            conversation_id = conn.execute(select(PR.c.conversation_id).where(PR.c.id == request_id)).scalar()
            if conversation_id is not None:
                tx.emit(PAYMENT_CHANGED, conversation_id, request_id=request_id)
                tx.emit(events.CONVERSATION_UPDATED, conversation_id)

    @writes
    def stripe_retry(self, request_id: int, error: str, give_up: bool = False) -> None:
        """Not made this time: tried again with backoff, or given up on. A link being renewed keeps
        the one it has meanwhile (it is good for its last hour)."""
        from helpdesk.services.deliveries import retry_after

        with self.db.write() as tx:
            conn = tx.session.connection()
            row = conn.execute(select(PR.c.stripe_attempts, PR.c.stripe_state).where(PR.c.id == request_id)).first()
            attempts = (row.stripe_attempts if row else 0) + 1
            failed = give_up or attempts >= STRIPE_GIVE_UP_AFTER
            renewing = row is not None and row.stripe_state == "ready"
            conn.execute(update(PR).where(PR.c.id == request_id).values(
                stripe_state="ready" if renewing else "failed" if failed else "pending", stripe_attempts=attempts,
                stripe_error=error[:500], stripe_next_at=None if failed else self.now() + retry_after(attempts)))
            conversation_id = conn.execute(select(PR.c.conversation_id).where(PR.c.id == request_id)).scalar()
            if conversation_id is not None:
                tx.emit(PAYMENT_CHANGED, conversation_id, request_id=request_id)
