"""A fake of Stripe's API on loopback, written from Stripe's API reference
(docs.stripe.com/api/checkout/sessions/create, /api/idempotent_requests, /webhooks/signatures):

- POST /v1/checkout/sessions, form-encoded (`line_items[0][price_data][unit_amount]` …), with
  `Authorization: Bearer sk_…`; 200 {id: "cs_test_…", object: "checkout.session", url,
  client_reference_id, amount_total, currency, payment_status: "unpaid", status: "open"}.
  The same `Idempotency-Key` again answers the first session (Stripe keeps keys 24 hours).
  401 {error: {type: "invalid_request_error", message}} for another key.
- `event(...)`: a webhook event as Stripe sends it, signed `Stripe-Signature: t=…,v1=…` with
  hex HMAC-SHA256(signing secret, "<t>.<body>").
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.channels.fakes import _Server

SECRET_KEY = "sk_test_51HelpdeskFake"
WEBHOOK_SECRET = "whsec_helpdeskfake0123456789"


class FakeStripe(_Server):
    def __init__(self) -> None:
        super().__init__()
        self.sessions: dict[str, dict] = {}
        self.by_key: dict[str, str] = {}
        self.created: list[dict] = []  # every session made (not idempotent replays)
        self._ids = itertools.count(1)

    def route(self, request: BaseHTTPRequestHandler, method: str, body: bytes) -> None:
        path = urlsplit(request.path).path
        if request.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
            return self.answer(request, 401, {"error": {"type": "invalid_request_error",
                                                        "message": "Invalid API Key provided"}})
        if method == "POST" and path == "/v1/checkout/sessions":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            key = request.headers.get("Idempotency-Key", "")
            if key and key in self.by_key:
                return self.answer(request, 200, self.sessions[self.by_key[key]])
            if form.get("mode") != "payment" or "line_items[0][price_data][unit_amount]" not in form:
                return self.answer(request, 400, {"error": {"type": "invalid_request_error",
                                                            "message": "Missing required param: mode."}})
            session_id = f"cs_test_{next(self._ids):04d}fake"
            session = {"id": session_id, "object": "checkout.session",
                       "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                       "client_reference_id": form.get("client_reference_id"),
                       "amount_total": int(form["line_items[0][price_data][unit_amount]"]),
                       "currency": form.get("line_items[0][price_data][currency]"), "payment_status": "unpaid",
                       "status": "open", "success_url": form.get("success_url"), "form": form,
                       "expires_at": int(form.get("expires_at") or 0),
                       "metadata": {k[len("metadata["):-1]: v for k, v in form.items() if k.startswith("metadata[")}}
            self.sessions[session_id] = session
            self.created.append(session)
            if key:
                self.by_key[key] = session_id
            return self.answer(request, 200, session)
        return self.answer(request, 404, {"error": {"type": "invalid_request_error", "message": "Unrecognized URL"}})

    @staticmethod
    def event(session: dict, event_id: str = "evt_1Fake", type: str = "checkout.session.completed",
              secret: str = WEBHOOK_SECRET, at: int | None = None) -> tuple[bytes, dict[str, str]]:
        """A webhook delivery: the body and its headers."""
        obj: dict[str, Any] = {k: v for k, v in session.items() if k != "form"}
        obj.update(payment_status="paid", status="complete")
        body = json.dumps({"id": event_id, "object": "event", "type": type, "api_version": "2024-06-20",
                           "created": int(time.time()), "data": {"object": obj}}).encode()
        stamp = int(time.time()) if at is None else at
        signature = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        return body, {"Stripe-Signature": f"t={stamp},v1={signature}", "Content-Type": "application/json"}
