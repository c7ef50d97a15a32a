"""Payments in the conversation: requests, the ways a shop takes money, Stripe's events."""

from helpdesk.services.payments.service import PAYMENT_CHANGED, PaymentCard, PaymentService  # noqa: F401
