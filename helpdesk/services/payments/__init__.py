"""Payments in the conversation: requests (service), the ways a shop takes money (ways), the
card both sides see (card), Stripe's events (stripe_events), the EPC QR code (girocode)."""
