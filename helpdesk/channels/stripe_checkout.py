"""Stripe Checkout links for payment requests. The requests waiting for one are this worker's
outbox: it creates each Checkout Session once (Stripe's Idempotency-Key is the request's id,
so a retry after a lost answer returns the same session), and while the internet is down it
waits and tries again with backoff. The API's base URL is a setting, so tests use a fake
written from Stripe's API reference. No card data ever passes through Helpdesk."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from helpdesk.events import PAYMENT_CHANGED, WakeableLoop
from helpdesk.services.mail.secrets import SecretMissing
from helpdesk.services.payments.card import PaymentCard

log = logging.getLogger(__name__)


class StripeCheckout(WakeableLoop):
    name = "stripe-checkout"
    doing = "the Stripe Checkout pass"

    def __init__(self, services: Any, idle_seconds: float = 2.0) -> None:
        super().__init__(services.events, {PAYMENT_CHANGED}, idle_seconds)
        self.services = services
        self.http = httpx.Client(timeout=httpx.Timeout(20.0, connect=5.0))

    def stop(self, wait: float = 15.0) -> None:
        super().stop(wait)
        self.http.close()

    def one_pass(self) -> bool:
        return bool(self.run_once())

    def run_once(self) -> list[str]:
        """Every request whose link is due, tried once: what became of each."""
        outcomes = []
        for card in self.services.payments.stripe_due():
            if self.stop_event.is_set():
                break
            outcomes.append(self.create(card))
        return outcomes

    def create(self, card: PaymentCard) -> str:
        """One Checkout Session for the request: "ready", "queued" (try again later) or "failed"."""
        payments = self.services.payments
        api = payments.ways.now_set().stripe_api
        try:
            key, _ = payments.ways.stripe_keys()
        except SecretMissing as exc:
            payments.stripe_retry(card.id, str(exc))
            return "queued"
        if not api or not key:
            payments.stripe_retry(card.id, "Stripe is no longer set up", give_up=True)
            return "failed"
        page = payments.described(card, payments.token_of(card.conversation_id))["pay_url"]
        form = {"mode": "payment", "client_reference_id": str(card.id), "success_url": page, "cancel_url": page,
                "line_items[0][quantity]": "1",
                "line_items[0][price_data][currency]": card.currency.lower(),
                "line_items[0][price_data][unit_amount]": str(card.amount_minor),  # minor units
                "line_items[0][price_data][product_data][name]": card.description,
                "metadata[reference]": card.reference, "metadata[conversation_id]": str(card.conversation_id),
                "payment_intent_data[description]": f"{card.description} ({card.reference})",
                # Stripe's longest: 24 hours. The worker makes a fresh one before then while the request is open.
                "expires_at": str(int(self.services.clock.now().timestamp()) + 24 * 3600 - 60)}
        # One session per request and per session it replaces: a retry after a lost answer gets the same one.
        key_for = f"helpdesk-payment-request-{card.id}" + (f"-after-{card.stripe_session_id}"
                                                           if card.stripe_session_id else "")
        try:
            answer = self.http.post(f"{api}/v1/checkout/sessions", data=form, headers={
                "Authorization": f"Bearer {key}", "Idempotency-Key": key_for})
        except httpx.HTTPError as exc:
            payments.stripe_retry(card.id, f"Stripe cannot be reached ({exc.__class__.__name__}); trying again")
            return "queued"
        try:
            data = answer.json()
        except ValueError:
            data = {}
        if answer.status_code == 200 and isinstance(data.get("url"), str) and isinstance(data.get("id"), str):
            payments.stripe_ready(card.id, data["id"], data["url"])
            return "ready"
        message = str(((data.get("error") or {}) if isinstance(data, dict) else {}).get("message", ""))[:200]
        if answer.status_code == 429 or answer.status_code >= 500 or answer.status_code == 409:
            payments.stripe_retry(card.id, f"Stripe asks to wait ({answer.status_code}) {message}".strip())
            return "queued"
        payments.stripe_retry(card.id, f"Stripe refused it ({answer.status_code}): {message or 'no reason given'}",
                              give_up=True)
        return "failed"
