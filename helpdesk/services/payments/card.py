"""A payment request as both sides see it (no database or service here: the thread's readers
draw it too)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from helpdesk.models.payments import EXPIRED, REQUESTED
from helpdesk.services.payments.money import amount_text
from helpdesk.services.payments.reference import spaced



@dataclass(frozen=True)
class PaymentCard:
    """A request as both sides see it."""

    id: int
    conversation_id: int
    message_id: int | None
    status: str
    amount: str  # "49.90"
    amount_minor: int  # 4990
    currency: str
    description: str
    reference: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    paid_at: datetime | None
    paid_via: str
    stripe_url: str
    stripe_state: str
    stripe_error: str
    stripe_session_id: str = ""

    @property
    def money(self) -> str:
        return f"{self.amount} {self.currency}"

    @property
    def reference_spaced(self) -> str:
        return spaced(self.reference)


def card_of(row: Any, now: datetime) -> PaymentCard:
    status = row.status
    if status == REQUESTED and row.expires_at is not None and row.expires_at <= now:
        status = EXPIRED  # the job records it; shown as it is meanwhile
    return PaymentCard(row.id, row.conversation_id, row.message_id, status, amount_text(row.amount_minor, row.currency),
                       row.amount_minor, row.currency, row.description, row.reference, row.created_at, row.created_by, row.expires_at,
                       row.paid_at, row.paid_via, row.stripe_url, row.stripe_state, row.stripe_error,
                       row.stripe_session_id)
