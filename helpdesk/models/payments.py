"""Payment requests sent in a conversation (migration 0017). Money is kept in the currency's
minor units (cents), never as a float; no card data ever reaches Helpdesk."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel

from helpdesk.models.core import _ts

REQUESTED, PAID, CANCELLED, EXPIRED = "requested", "paid", "cancelled", "expired"
PAYMENT_STATUSES = (REQUESTED, PAID, CANCELLED, EXPIRED)


class PaymentRequest(SQLModel, table=True):
    """"49.90 EUR for the brake service": its card is a reply in the thread (message_id); its
    RF creditor reference (ISO 11649) names the conversation, so a bank statement line finds it."""

    __tablename__ = "payment_request"
    __table_args__ = (Index("ix_payment_conversation", "conversation_id", "id"),
                      Index("ix_payment_status_expires", "status", "expires_at"),
                      Index("ix_payment_stripe_state", "stripe_state", "stripe_next_at"))

    id: Optional[int] = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", ondelete="CASCADE")
    message_id: Optional[int] = Field(default=None)  # the card in the thread
    amount_minor: int = Field(sa_type=BigInteger)  # 4990 for 49.90 EUR; 500 for 500 JPY
    currency: str = Field(max_length=3)  # ISO 4217
    description: str = Field(max_length=140)
    reference: str = Field(default="", max_length=25, index=True)  # RF18 …
    status: str = Field(default=REQUESTED, max_length=16)
    created_at: datetime = _ts()
    created_by: str = Field(default="", max_length=120)  # who asked, as the thread says
    expires_at: Optional[datetime] = _ts(nullable=True)
    paid_at: Optional[datetime] = _ts(nullable=True)
    paid_via: str = Field(default="", max_length=16)  # stripe | hand
    closed_by: str = Field(default="", max_length=120)  # who marked it paid or cancelled it
    # Stripe Checkout: "" (not used), pending (the outbox: to be created), ready, failed.
    stripe_state: str = Field(default="", max_length=16)
    stripe_session_id: str = Field(default="", max_length=255)
    stripe_url: str = Field(default="", max_length=1000)
    stripe_attempts: int = Field(default=0)
    stripe_next_at: Optional[datetime] = _ts(nullable=True)
    stripe_error: str = Field(default="", max_length=500)
