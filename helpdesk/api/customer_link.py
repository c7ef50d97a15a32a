"""The customer's own link, /c/<token>: the whole public thread and a reply form.

Server-rendered from templates (helpdesk/web), no JavaScript, readable on a phone,
every piece of text escaped and a strict Content-Security-Policy on top. Reads run in a
worker thread (plain `def` routes); writes go to the database's writer thread."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from helpdesk.api.bodies import discard, read_small, stage_uploads
from helpdesk.api.limits import client_address
from helpdesk.models import IN, REPLY, RESOLVED, CsatRating
from helpdesk.services.base import stored_id
from helpdesk.services.container import Services
from helpdesk.services.conversations import ConversationDetail, public_token_digest
from helpdesk.services.errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed
from helpdesk.services.files import MAX_FILES, THUMB_TYPES, StagedFile, mb
from helpdesk.services.payments.card import PaymentCard
from helpdesk.services.promise import hours_words, shop_time
from helpdesk.web.media import media_kind, play_length, shared_card
from helpdesk.web import PAGE_HEADERS, render


@dataclass(frozen=True)
class ShownFile:
    name: str
    size: str
    url: str  # signed: the customer's page has no token to send
    thumb: str | None  # an image's small version, shown in the page
    media: str = ""  # "audio" or "video": a player, with its length
    length: str = ""  # "0:42"


@dataclass(frozen=True)
class ShownPayment:
    id: int
    money: str
    description: str
    status: str
    state: str  # in words: "Waiting for your payment", "Paid 3 Dec 2026, 14:05 CET"
    reference: str
    holder: str = ""
    iban: str = ""
    bic: str = ""
    qr: str = ""
    stripe_url: str = ""
    link_url: str = ""


@dataclass(frozen=True)
class ShownMessage:
    id: int
    css: str
    who: str
    body: str
    iso: str
    when: str
    files: list[ShownFile]
    payment: ShownPayment | None = None
    choices: tuple[str, ...] = ()  # buttons, while this is the team's last word
    picked: str = ""  # the customer's answer to a choice, when they typed its number
    card: str = ""  # a shared location or contact, in words
    map_url: str = ""


FORM_BYTES = 1_300_000  # the form without files: a reply of 100,000 characters, percent-encoded (at most 12 bytes each)


def shown_file(files: Any, a: Any) -> ShownFile:
    return ShownFile(a.filename, mb(a.size), files.signed_path(a),
                     files.signed_path(a, "thumb") if a.content_type in THUMB_TYPES else None,
                     media_kind(a.content_type), play_length(a.duration_ms))


def shown_payment(services: Services, token: str, card: PaymentCard) -> ShownPayment:
    payments = services.payments
    ways = payments.ways.now_set()
    state = {"requested": "Waiting for your payment", "cancelled": "Cancelled", "expired": "Expired"}.get(
        card.status, payments.paid_words(card))
    if card.status != "requested":
        return ShownPayment(card.id, card.money, card.description, card.status, state, card.reference_spaced)
    bank = ways.bank
    return ShownPayment(card.id, card.money, card.description, card.status, state, card.reference_spaced,
                        bank.holder if bank else "", bank.iban_spaced if bank else "", bank.bic if bank else "",
                        payments.qr_path(token, card) if payments.shows_qr(ways, card) else "",
                        f"/c/{token}/pay/{card.id}/card" if card.stripe_url else "", payments.link_url(ways, card))


def page_html(detail: ConversationDetail, services: Services, rated: CsatRating | None = None, error: str = "",
              draft: str = "", rating_error: str = "") -> str:
    files = services.files
    promise = services.promise.for_conversation(detail.conversation)
    now = services.clock.now()
    token = detail.conversation.public_token
    cards = detail.payments  # read with the thread
    said = [m for m in detail.messages if m.kind == REPLY]  # what either side wrote (no events)
    last_out = max((m.id for m in said if m.direction != IN), default=0)
    last_any = said[-1].id if said else 0
    messages = []
    for m in detail.messages:
        message_id = stored_id(m)
        who, css = ("You", "in") if m.direction == IN else (detail.public_author(m, promise.team), "out")
        shown = [shown_file(files, a) for a in detail.attachments.get(message_id, [])]
        meta = m.meta or {}
        card = cards.get(message_id)
        offered = tuple(meta.get("choices") or ()) if m.id == last_out == last_any else ()
        picked = meta.get("choice", "") if meta.get("choice", "") != m.body.strip() else ""
        words, map_url = shared_card(meta)
        messages.append(ShownMessage(message_id, css, who, m.body, m.created_at.isoformat(),
                                     shop_time(m.created_at, promise.zone), shown,
                                     shown_payment(services, token, card) if card else None, offered, picked,
                                     words, map_url))
    c = detail.conversation
    last_is_theirs = bool(detail.messages) and detail.messages[-1].direction == IN
    # While the customer waits on the team, the shop's published answers to what they asked
    # (server-side: this page runs no script).
    answers = services.articles.for_conversation(stored_id(c)) if last_is_theirs and c.status != RESOLVED else []
    for article in answers:
        services.help_counts.count(article.id, "suggested")
    return render("conversation.html", conversation=c, token=c.public_token, messages=messages,
                  resolved=c.status == RESOLVED, rated=rated, error=error, draft=draft, rating_error=rating_error,
                  max_file=mb(files.limits.per_file), promise=promise, hours=hours_words(promise, now),
                  reply_by=promise.local(promise.reply_by, now) if promise.reply_by else "",
                  seen=promise.seen and last_is_theirs, answers=answers, logo=services.promise.logo() is not None)


def html(body: str, status: int = 200, **headers: str) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers={**PAGE_HEADERS, **headers})


def not_found() -> HTMLResponse:
    return html(render("message.html", title="Not found", text="This conversation link is not valid."), 404)


def too_many(seconds: float) -> HTMLResponse:
    wait = max(1, math.ceil(seconds))
    return html(render("message.html", title="Too many requests",
                       text=f"Too many requests from your connection. Please wait {wait} seconds and try again."),
                429, **{"Retry-After": str(wait)})


def unknown_link(services: Services, request: Request) -> HTMLResponse:
    """404 for a link that opens nothing, and one guess counted against the address."""
    if wait := services.limits.customer_page.take(client_address(request)):
        return too_many(wait)
    return not_found()


def redirect(url: str) -> RedirectResponse:
    """Post/redirect/get: a refresh never sends a form twice."""
    return RedirectResponse(url, status_code=303, headers=PAGE_HEADERS)


async def form_fields(request: Request, services: Services | None = None) -> tuple[dict[str, str], list[StagedFile]]:
    """The page's plain HTML form: urlencoded, or multipart with files (streamed into the store;
    all of them removed again when one is over its limit)."""
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        form = await request.form(max_files=MAX_FILES, max_fields=10)
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        uploads = [(f.file, f.filename) for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
        return fields, await stage_uploads(services, uploads) if services else []
    raw = (await read_small(request, FORM_BYTES)).decode("utf-8", errors="replace")
    return {name: values[0] for name, values in parse_qs(raw, keep_blank_values=True).items()}, []


def _page_with(services: Services, token: str, **extra: str) -> str | None:
    """The page again with an error shown (in a worker thread); None if the link is not valid."""
    try:
        detail = services.conversations.get_by_token(token)
    except NotFound:
        return None
    return page_html(detail, services, services.conversations.rating_for_current_resolution(detail.conversation),
                     **extra)


def build_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    # The link is checked first: a valid one always opens, whatever others at the same address
    # (a shop's Wi-Fi, a mobile carrier's NAT) got wrong. Unknown links cost the asking address,
    # so links cannot be enumerated.
    @router.get("/c/{token}")
    def show(token: str, request: Request) -> HTMLResponse:
        services: Services = request.app.state.services
        try:
            detail = services.conversations.get_by_token(token)
        except NotFound:
            return unknown_link(services, request)
        return html(page_html(detail, services, services.conversations.rating_for_current_resolution(detail.conversation)))

    @router.get("/c/{token}/")
    def trailing_slash(token: str) -> RedirectResponse:
        """A link pasted with a slash at the end: to the page, by a relative address (never
        built from the Host header)."""
        return redirect(f"/c/{token}")

    @router.get("/c/{token}/pay/{request_id}/qr.png")
    async def girocode(token: str, request_id: Annotated[int, Path(ge=1, le=2 ** 31 - 1)], request: Request) -> Response:
        """The EPC069-12 QR code of an open request in EUR, for the customer's banking app."""
        services: Services = request.app.state.services
        png = await services.db.run_read(services.payments.girocode_png, token, request_id)
        if png is None:  # a wrong link costs the asking address, as the page's does
            return unknown_link(services, request)
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                                                              "X-Content-Type-Options": "nosniff"})

    @router.get("/c/{token}/pay/{request_id}/card")
    async def pay_by_card(token: str, request_id: Annotated[int, Path(ge=1, le=2 ** 31 - 1)],
                          request: Request) -> Response:
        """To the request's current Stripe Checkout session (a new one is made each day it is open)."""
        services: Services = request.app.state.services
        target = await services.db.run_read(services.payments.card_link, token, request_id)
        if target is None:
            if not await services.db.run_read(services.conversations.link_opens, token):
                return unknown_link(services, request)
            return redirect(f"/c/{token}#pay{request_id}")  # paid, cancelled or no card link: the card says which
        return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store",
                                                                  "Referrer-Policy": "no-referrer"})

    @router.post("/c/{token}/rating")
    async def rate(token: str, request: Request):
        services: Services = request.app.state.services
        if wait := services.limits.customer_posts.take(public_token_digest(token)):
            return too_many(wait)
        form, _ = await form_fields(request)
        try:
            rating = int(form.get("rating", ""))
        except ValueError:
            rating = 0
        try:
            await services.db.run_write(services.conversations.rate, token, rating, form.get("comment", ""))
        except NotFound:
            return unknown_link(services, request)
        except (ValidationFailed, Conflict) as exc:
            message = "Please choose a rating from 1 to 5." if "rating" in exc.fields else exc.message.capitalize() + "."
            body = await services.db.run_read(_page_with, services, token, rating_error=message)
            if body is None:
                return not_found()
            return html(body, 422 if isinstance(exc, ValidationFailed) else 409)
        return redirect(f"/c/{token}#rate")

    @router.post("/c/{token}")
    async def reply(token: str, request: Request):
        services: Services = request.app.state.services
        if wait := services.limits.customer_posts.take(public_token_digest(token)):
            return too_many(wait)
        # The link first: nothing of a request to a link that opens nothing is read, let alone kept.
        if not await services.db.run_read(services.conversations.link_opens, token):
            return unknown_link(services, request)
        address, sender = client_address(request), "link:" + public_token_digest(token)
        multipart = request.headers.get("content-type", "").lower().startswith("multipart/form-data")
        if multipart and (wait := services.limits.keep_uploads(address, sender, 0)):
            return too_many(wait)
        try:
            fields, files = await form_fields(request, services)
        except PayloadTooLarge as exc:
            page = await services.db.run_read(_page_with, services, token, error=exc.message.capitalize() + ".")
            return not_found() if page is None else html(page, 413)
        if files and (wait := services.limits.keep_uploads(address, sender, sum(f.size for f in files))):
            await discard(services, files)
            return too_many(wait)
        body = fields.get("body", "")
        try:
            result = await services.db.run_write(services.conversations.receive_from_link, token, body, files)
        except NotFound:
            await discard(services, files)
            return unknown_link(services, request)
        except (ValidationFailed, PayloadTooLarge) as exc:
            await discard(services, files)
            problem = "Please write a message or add a file before sending." if not body.strip() and not files else \
                f"Your message could not be sent: {exc.fields.get('body', exc.message)}."
            page = await services.db.run_read(_page_with, services, token, error=problem, draft=body[:100_000])
            return not_found() if page is None else html(page, 413 if isinstance(exc, PayloadTooLarge) else 422)
        return redirect(f"/c/{token}#m{result.message_id}")

    return router
