"""The customer's own link, /c/<token>: the whole public thread and a reply form.

Server-rendered, no JavaScript, readable on a phone. Every piece of message text is
HTML-escaped, and a strict Content-Security-Policy forbids scripts anyway. The link
is the customer's credential, so the page sends no Referer to anyone."""

from __future__ import annotations

import math

from html import escape
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from helpdesk.api.limits import client_address
from helpdesk.models import IN, RESOLVED
from helpdesk.services import Services
from helpdesk.services.conversations import ConversationDetail
from helpdesk.services.errors import Conflict, NotFound, ValidationFailed

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

STYLE = """
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;
background:#f4f5f7;color:#1d2330}main{max-width:680px;margin:0 auto;padding:16px}
h1{font-size:1.25rem;margin:8px 0 4px}.sub{color:#5b6475;font-size:.9rem;margin:0 0 16px}
.msg{padding:12px 14px;border-radius:14px;margin:10px 0;max-width:88%;white-space:pre-wrap;
overflow-wrap:anywhere;box-shadow:0 1px 2px rgba(0,0,0,.06)}
.in{background:#dbe7ff;margin-left:auto;border-bottom-right-radius:4px}
.out{background:#fff;border-bottom-left-radius:4px}
.meta{display:block;font-size:.78rem;color:#5b6475;margin-bottom:4px;white-space:normal}
form{margin-top:20px;background:#fff;padding:14px;border-radius:14px}
label{font-weight:600;display:block;margin-bottom:6px}
textarea{width:100%;min-height:120px;font:inherit;padding:10px;border:1px solid #c5cad3;border-radius:10px}
button{margin-top:10px;font:inherit;font-weight:600;padding:10px 20px;border:0;border-radius:10px;
background:#2457c5;color:#fff}.error{color:#a4161a;font-weight:600}.note{color:#5b6475;font-size:.9rem}
.status{display:inline-block;padding:2px 10px;border-radius:99px;background:#e6e9ef;font-size:.8rem}
.rate{margin-top:20px;background:#fff;padding:14px;border-radius:14px}.stars{display:flex;gap:14px;margin:8px 0 12px}
.star{font-weight:600;display:inline}
"""


def _rating_form(token: str, rated: object | None, error: str = "") -> str:
    if rated is not None:
        stars = "★" * rated.rating + "☆" * (5 - rated.rating)  # type: ignore[attr-defined]
        return f"<section class=rate><p><strong>Thank you for your rating</strong> {stars}</p></section>"
    options = "".join(f"<label class=star><input type=radio name=rating value={n} required> {n}</label>"
                      for n in range(1, 6))
    problem = f"<p class=error role=alert>{escape(error)}</p>" if error else ""
    # An absolute action: a relative "rating" would resolve to /c/rating, not this conversation.
    return (f"<form method=post action='/c/{escape(token)}/rating' class=rate id=rate><p><strong>How did we do?</strong> "
            f"1 = poor, 5 = excellent</p>{problem}<div class=stars>{options}</div>"
            "<label for=comment>Anything to add? (optional)</label>"
            "<textarea id=comment name=comment maxlength=2000 style='min-height:70px'></textarea>"
            "<button type=submit>Send rating</button></form>")


def _render(detail: ConversationDetail, error: str = "", draft: str = "", rated: object | None = None,
            rating_error: str = "") -> str:
    c = detail.conversation
    title = escape(c.subject or "Your conversation")
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<meta name=viewport content='width=device-width,initial-scale=1'>",
        "<meta name=robots content=noindex>",
        f"<title>{title}</title><style>{STYLE}</style></head><body><main>",
        f"<h1>{title}</h1>",
        f"<p class=sub>Conversation #{c.id} · <span class=status>"
        f"{'resolved' if c.status == RESOLVED else 'open'}</span></p>",
    ]
    for m in detail.messages:
        if m.direction == IN:
            who, css = "You", "in"
        else:
            agent = detail.agents.get(m.author_agent_id) if m.author_agent_id else None
            who, css = (agent.name if agent else "Support"), "out"
        when = m.created_at.strftime("%d %b %Y, %H:%M UTC")
        parts.append(f"<div class='msg {css}' id=m{m.id}><span class=meta>{escape(who)} · "
                     f"<time datetime='{m.created_at.isoformat()}'>{when}</time></span>{escape(m.body)}</div>")
    if c.status == RESOLVED:
        parts.append(_rating_form(c.public_token, rated, rating_error))
    parts.append("<form method=post id=reply>")
    if error:
        parts.append(f"<p class=error role=alert>{escape(error)}</p>")
    label = "Write again" if c.status == RESOLVED else "Your reply"
    parts.append(f"<label for=body>{label}</label>"
                 f"<textarea id=body name=body required maxlength=100000>{escape(draft)}</textarea>"
                 "<button type=submit>Send</button>")
    if c.status == RESOLVED:
        parts.append("<p class=note>This conversation was resolved. Writing again reopens it; "
                     "nothing you said before is lost.</p>")
    parts.append("</form></main></body></html>")
    return "".join(parts)


def _not_found() -> HTMLResponse:
    return HTMLResponse("<!doctype html><title>Not found</title><p>This conversation link is not valid.</p>",
                        status_code=404, headers=SECURITY_HEADERS)


def _too_many(seconds: float) -> HTMLResponse:
    wait = max(1, math.ceil(seconds))
    return HTMLResponse("<!doctype html><title>Too many requests</title><p>Too many requests from your "
                        f"connection. Please wait {wait} seconds and try again.</p>", status_code=429,
                        headers={**SECURITY_HEADERS, "Retry-After": str(wait)})


async def _form(request: Request) -> dict[str, str]:
    """An urlencoded form (what the page's plain HTML forms send), first value of each field."""
    raw = (await request.body()).decode("utf-8", errors="replace")
    return {name: values[0] for name, values in parse_qs(raw, keep_blank_values=True).items()}


def build_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    # Unknown links cost the asking address from the same bucket as posts, so links cannot
    # be enumerated; a customer reading their own page never runs into the limit.
    @router.get("/c/{token}")
    def show(token: str, request: Request) -> HTMLResponse:
        services: Services = request.app.state.services
        limit = services.limits.customer_page
        if wait := limit.wait(client_address(request)):
            return _too_many(wait)
        try:
            detail = services.conversations.get_by_token(token)
        except NotFound:
            limit.take(client_address(request))
            return _not_found()
        rated = services.conversations.rating_for_current_resolution(detail.conversation)
        return HTMLResponse(_render(detail, rated=rated), headers=SECURITY_HEADERS)

    @router.post("/c/{token}/rating")
    async def rate(token: str, request: Request):
        services: Services = request.app.state.services
        if wait := services.limits.customer_page.take(client_address(request)):
            return _too_many(wait)
        form = await _form(request)
        try:
            rating = int(form.get("rating", ""))
        except ValueError:
            rating = 0
        comment = form.get("comment", "")
        try:
            await run_in_threadpool(services.conversations.rate, token, rating, comment)
        except NotFound:
            return _not_found()
        except (ValidationFailed, Conflict) as exc:
            detail = await run_in_threadpool(services.conversations.get_by_token, token)
            rated = services.conversations.rating_for_current_resolution(detail.conversation)
            message = "Please choose a rating from 1 to 5." if "rating" in exc.fields else exc.message.capitalize() + "."
            return HTMLResponse(_render(detail, rated=rated, rating_error=message), status_code=422
                                if isinstance(exc, ValidationFailed) else 409, headers=SECURITY_HEADERS)
        return RedirectResponse(f"/c/{token}#rate", status_code=303, headers=SECURITY_HEADERS)

    @router.post("/c/{token}")
    async def reply(token: str, request: Request):
        services: Services = request.app.state.services
        if wait := services.limits.customer_page.take(client_address(request)):
            return _too_many(wait)
        body = (await _form(request)).get("body", "")
        try:
            result = await run_in_threadpool(services.conversations.receive_from_link, token, body)
        except NotFound:
            return _not_found()
        except ValidationFailed as exc:
            try:
                detail = await run_in_threadpool(services.conversations.get_by_token, token)
            except NotFound:
                return _not_found()
            problem = "Please write a message before sending." if not body.strip() else \
                f"Your message could not be sent: {exc.fields.get('body', exc.message)}."
            return HTMLResponse(_render(detail, error=problem, draft=body[:100_000]), status_code=422,
                                headers=SECURITY_HEADERS)
        # Post/redirect/get: a refresh does not send the message twice.
        return RedirectResponse(f"/c/{token}#m{result.message_id}", status_code=303, headers=SECURITY_HEADERS)

    return router
