"""Payment requests for integrators and bots (scope reply to ask, cancel or mark paid; read to
list), and Stripe's webhook (no token: Stripe signs its events). docs/payments.md says what
each way to pay shows the customer."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal, Optional

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from helpdesk.api.bodies import read_small
from helpdesk.api.errors import error_response
from helpdesk.api.schemas import MAX_ID
from helpdesk.api.v1 import ERROR_RESPONSES, scoped, services_of
from helpdesk.services.base import Actor
from helpdesk.services.mail.secrets import SecretMissing
from helpdesk.services.payments.stripe_events import BadSignature, verify

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Replier = Annotated[Actor, Depends(scoped("reply"))]
Reader = Annotated[Actor, Depends(scoped("read"))]
STRIPE_EVENT_BYTES = 512_000  # Stripe's events are a few kilobytes


class PaymentRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "amount": "49.90", "currency": "EUR", "description": "Brake service"}]})
    amount: StrictStr = Field(max_length=20, description='a decimal as text, in the currency\'s units: "49.90" '
                                                         '(never a float)')
    currency: StrictStr = Field(max_length=3, description="ISO 4217, e.g. EUR, CHF, GBP, JPY")
    description: StrictStr = Field(max_length=140, description="what it is for, as the customer reads it")
    via: Optional[Literal["email", "sms", "whatsapp", "telegram", "web", "api"]] = Field(
        None, description="the channel the card goes by (default: where the customer last wrote from)")


class PaymentRequestOut(BaseModel):
    id: int
    conversation_id: int
    message_id: Optional[int] = Field(description="the card in the thread")
    status: Literal["requested", "paid", "cancelled", "expired"]
    reference: str = Field(description="ISO 11649 RF creditor reference: names the conversation on a bank statement")
    amount: str
    currency: str
    description: str
    created_at: str
    expires_at: Optional[str]
    paid_at: Optional[str]
    paid_via: Optional[Literal["stripe", "hand"]]
    pay_url: str = Field(description="the customer's page, at this request: every way to pay")
    qr_url: Optional[str] = Field(description="the EPC069-12 QR code (PNG) for a bank transfer in EUR")
    stripe_url: Optional[str] = Field(description="Stripe Checkout's current session, once made (null while "
                                                  "offline); a session lasts 24 hours and is renewed daily")
    card_url: Optional[str] = Field(description="Helpdesk's lasting link to the current Stripe session: send this one")
    link_url: Optional[str] = Field(description="the shop's own payment link, filled in")


class PaymentRequestList(BaseModel):
    payment_requests: list[PaymentRequestOut]


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["payments"])

    def described(services, card) -> dict:
        return services.payments.described(card, services.payments.token_of(card.conversation_id))

    @router.post("/conversations/{conversation_id}/payment-requests", status_code=201,
                 response_model=PaymentRequestOut, responses=ERROR_RESPONSES,
                 summary="Ask the customer to pay (scope reply)",
                 description="The card goes out like a reply (the conversation then waits on the customer), with "
                             "every way to pay that is set up. 409 when none is (Settings › Payments).")
    def request_payment(conversation_id: Id, body: PaymentRequestIn, request: Request, actor: Replier) -> dict:
        services = services_of(request)
        card = services.payments.request(conversation_id, actor, body.amount, body.currency, body.description,
                                         via=body.via)
        return described(services, card)

    @router.get("/conversations/{conversation_id}/payment-requests", response_model=PaymentRequestList,
                responses=ERROR_RESPONSES, summary="A conversation's payment requests (scope read)")
    def list_requests(conversation_id: Id, request: Request, _actor: Reader) -> dict:
        services = services_of(request)
        cards = services.payments.of_conversation(conversation_id)
        return {"payment_requests": [described(services, c) for c in cards]}

    @router.post("/payment-requests/{request_id}/cancel", response_model=PaymentRequestOut,
                 responses=ERROR_RESPONSES, summary="Cancel a request that is not paid (scope reply)")
    def cancel(request_id: Id, request: Request, actor: Replier) -> dict:
        services = services_of(request)
        return described(services, services.payments.cancel(request_id, actor))

    @router.post("/payment-requests/{request_id}/paid", response_model=PaymentRequestOut,
                 responses=ERROR_RESPONSES, summary="Mark a request paid by hand: the transfer arrived (scope reply)")
    def mark_paid(request_id: Id, request: Request, actor: Replier) -> dict:
        services = services_of(request)
        return described(services, services.payments.mark_paid(request_id, actor))

    @router.post("/payments/stripe", summary="Stripe's webhook (no token: checked by Stripe-Signature)",
                 responses={400: {"description": "the signature does not verify, is stale, or Stripe is not set up"},
                            413: {"description": "over 512 KB"}})
    async def stripe_webhook(request: Request) -> JSONResponse:
        services = services_of(request)
        payload = await read_small(request, STRIPE_EVENT_BYTES)
        try:
            _key, secret = await asyncio.to_thread(services.payments.ways.stripe_keys)
        except SecretMissing:
            secret = ""
        try:
            event = verify(payload, request.headers.get("stripe-signature", ""), secret, services.clock.now())
        except BadSignature as exc:
            return error_response(400, "bad_signature", str(exc))
        outcome = await services.db.run_write(services.payments.take_stripe_event, event)
        return JSONResponse({"received": True, "outcome": outcome})

    return router
