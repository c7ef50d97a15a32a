"""Stripe's webhook events, checked as Stripe documents it: the `Stripe-Signature` header
carries `t=<unix time>` and one or more `v1=<hex>`, each an HMAC-SHA256 of "<t>.<raw body>"
under the endpoint's signing secret; an event older (or newer) than five minutes is refused,
so a captured request cannot be replayed later."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

TOLERANCE_SECONDS = 300
PAID_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")


class BadSignature(Exception):
    """Said to the sender (400) in words; nothing is stored."""


@dataclass(frozen=True)
class StripeEvent:
    id: str
    type: str
    request_id: int | None  # our payment request: the session's client_reference_id
    session_id: str
    paid: bool  # the money is there (a card at once; a bank debit later, by async_payment_succeeded)
    reference: str = ""  # the session's metadata[reference]: the request's RF reference


def signature_of(secret: str, timestamp: int, payload: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()


def verify(payload: bytes, header: str, secret: str, now: datetime) -> StripeEvent:
    parts = [p.split("=", 1) for p in (header or "").split(",") if "=" in p]
    stamps = [v for k, v in parts if k.strip() == "t"]
    given = [v.strip() for k, v in parts if k.strip() == "v1"]
    if not secret:
        raise BadSignature("Stripe is not set up here")
    if not stamps or not stamps[0].strip().isdigit() or not given:
        raise BadSignature("no Stripe-Signature with t= and v1=")
    timestamp = int(stamps[0])
    if abs(now.timestamp() - timestamp) > TOLERANCE_SECONDS:
        raise BadSignature("the signature's time is more than five minutes away")
    expected = signature_of(secret, timestamp, payload)
    if not any(hmac.compare_digest(expected, g) for g in given):
        raise BadSignature("the signature does not verify")
    try:
        event = json.loads(payload)
    except ValueError:
        raise BadSignature("the body is not JSON") from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise BadSignature("not a Stripe event")
    obj = ((event.get("data") or {}).get("object") or {}) if isinstance(event.get("data"), dict) else {}
    reference = str(obj.get("client_reference_id") or "") if isinstance(obj, dict) else ""
    paid = event["type"] in PAID_EVENTS and (event["type"] != PAID_EVENTS[0] or obj.get("payment_status") == "paid")
    metadata: dict[str, Any] = (obj["metadata"] if isinstance(obj, dict) and isinstance(obj.get("metadata"), dict)
                                else {})
    return StripeEvent(event["id"][:200], event["type"][:100], int(reference) if reference.isdigit() and
                       len(reference) < 12 else None, str(obj.get("id", ""))[:255], paid,
                       str(metadata.get("reference", ""))[:40])
