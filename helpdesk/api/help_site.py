"""The help center at /help: categories, search, article pages with "Did this help?", and
"Write to us" (a form that starts a conversation, the article attached for the agent). Served
from the same file on the shop's Wi-Fi and through the public address, with no script, for
search engines as for people (indexable, unlike a customer's private page).

Anyone reaches it: a page view is counted in memory (services/help/counts.py), searches and
votes are limited per address, and every query and form is bounded before any work."""

from __future__ import annotations

import asyncio
import functools
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from helpdesk.api.bodies import read_small
from helpdesk.api.limits import client_address
from helpdesk.services.container import Services
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.errors import PayloadTooLarge, ServiceError
from helpdesk.services.help.articles import MAX_QUERY
from helpdesk.services.help.pictures import IMAGE_TYPES
from helpdesk.services.ratelimit import RateLimited
from helpdesk.web.help_pages import LANGUAGE_NAMES, HelpPage, categories_of

FORM_BYTES = 64_000
MAX_BODY = 10_000


def _headers(page: HelpPage, cache: str = "public, max-age=60") -> dict[str, str]:
    # connect-src 'self' lets a crawler's in-page check read /robots.txt (Lighthouse's robots-txt
    # audit); the page runs no script, so nothing else can connect anywhere.
    return {"Content-Security-Policy": f"default-src 'none'; style-src '{page.csp_hash}'; img-src 'self'; "
                                       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                                       "base-uri 'none'",
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "strict-origin-when-cross-origin",
            "X-Frame-Options": "DENY", "Cache-Control": cache, "Content-Language": page.language}


def page_for(services: Services, request: Request, path: str) -> HelpPage:
    """The frame of a page at `path` (a site path) in the visitor's language."""
    articles = services.articles
    asked = request.query_params.get("lang")
    language = articles.pick_language(request.headers.get("accept-language"), asked)
    chosen = bool(asked) and asked.lower() == language
    suffix = f"?lang={language}" if chosen else ""
    site = articles.site()
    base = services.links.public_url() or services.links.base_url()
    others = [(code, LANGUAGE_NAMES.get(code, code), f"/help?lang={code}") for code in articles.languages()
              if code != language]
    return HelpPage(shop=services.promise.team_name(), title=site.title, language=language,
                    url=lambda p: p + suffix, logo="/files/logo" if services.promise.logo() is not None else "",
                    colour=site.colour, search_action="/help/search", contact=f"/help/ask{suffix}",
                    canonical=base + path + suffix, others=others, language_param=chosen)


def _limited(services: Services, request: Request) -> Response | None:
    try:
        services.limits.help_searches.check(client_address(request), "too many searches from this address")
    except RateLimited as exc:
        return HTMLResponse("Too many searches from this address: try again in a minute.", status_code=429,
                            headers={"Retry-After": str(exc.retry_after)})
    return None


def build_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/help")
    def home(request: Request) -> Response:
        services: Services = request.app.state.services
        page = page_for(services, request, "/help")
        categories = categories_of(services.articles.published(page.language))
        return HTMLResponse(page.render("home.html", categories=categories), headers=_headers(page))

    @router.get("/help/")
    def trailing(request: Request) -> Response:
        return RedirectResponse("/help", status_code=308)

    @router.get("/help/search")
    def search(request: Request, q: str = "") -> Response:
        services: Services = request.app.state.services
        page = page_for(services, request, "/help/search")
        query = " ".join(q[:MAX_QUERY].split())
        hits: list[Any] = []
        if query:
            if (refused := _limited(services, request)) is not None:
                return refused
            hits = services.articles.search(query, page.language, 20)
            services.help_counts.searched(query, len(hits))
        headers = _headers(page, "no-store")
        return HTMLResponse(page.render("search.html", hits=hits, query=query), headers=headers)

    @router.get("/help/ask")
    def ask_form(request: Request, article: str = "") -> Response:
        services: Services = request.app.state.services
        page = page_for(services, request, "/help/ask")
        seen = services.articles.seen([int(article)] if article.isdigit() and len(article) < 10 else [])
        shown = services.articles.get(seen[0]["id"]) if seen else None
        return HTMLResponse(_ask(page, shown), headers={**_headers(page, "no-store"), "X-Robots-Tag": "noindex"})

    @router.post("/help/ask")
    async def ask(request: Request) -> Response:
        """A question from the help center: a conversation like any other, the article the visitor
        read attached for the agent; then the visitor's own conversation page."""
        services: Services = request.app.state.services
        page = await services.db.run_read(page_for, services, request, "/help/ask")
        address = client_address(request)
        try:
            services.limits.chat_address_posts.check(address, "too many messages from this address")
            form = {k: v[0] for k, v in parse_qs((await read_small(request, FORM_BYTES)).decode("utf-8", "replace"),
                                                 max_num_fields=10).items()}
        except RateLimited as exc:
            return HTMLResponse("Too many messages from this address: try again in a minute.", status_code=429,
                                headers={"Retry-After": str(exc.retry_after)})
        except PayloadTooLarge:
            return HTMLResponse("That message is too long.", status_code=413)
        article_id = form.get("article", "")
        seen = await services.db.run_read(services.articles.seen, [int(article_id)] if article_id.isdigit()
                                          and len(article_id) < 10 else [])
        body, email, name = form.get("body", "").strip(), form.get("email", "").strip(), form.get("name", "").strip()
        shown = await services.db.run_read(services.articles.get, seen[0]["id"]) if seen else None
        if not body or len(body) > MAX_BODY:
            return HTMLResponse(_ask(page, shown, "Write your question first (at most 10,000 characters).", name,
                                     email, body[:MAX_BODY]), status_code=422, headers=_headers(page, "no-store"))
        try:
            got = await services.db.run_write(services.conversations.receive, IncomingMessage(
                body=body, email=email, name=name[:200] or None, channel="web",
                subject=f"About: {shown.title}" if shown else "From the help center",
                meta={"articles_seen": seen} if seen else None))
        except ServiceError as exc:
            bad = exc.fields or {}
            words = "That email address does not look right." if any("email" in f for f in bad) else exc.message
            return HTMLResponse(_ask(page, shown, words, name, email, body), status_code=422,
                                headers=_headers(page, "no-store"))
        return RedirectResponse(f"/c/{quote(got.public_token)}", status_code=303, headers={"Cache-Control": "no-store"})

    @router.get("/help/_poster.png")
    async def poster(request: Request) -> Response:
        """The counter poster: a QR code of /help on the address customers use (the public one when
        set, else the shop's Wi-Fi). Drawn at most once per address and name (it costs a second of
        CPU), and limited per asking address as searches are."""
        services: Services = request.app.state.services
        limited = _limited(services, request)
        if limited is not None:
            return limited
        team = await services.db.run_read(services.promise.team_name)
        base = services.links.base_url()
        png = await asyncio.to_thread(_help_poster, base + "/help", team, not services.links.public_url())
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store",
                                                              "X-Content-Type-Options": "nosniff"})

    @router.get("/help/{category}")
    def category(category: str, request: Request) -> Response:
        services: Services = request.app.state.services
        page = page_for(services, request, f"/help/{category}")
        found = next((c for c in categories_of(services.articles.published(page.language)) if c.slug == category),
                     None)
        if found is None:
            return not_found(page)
        return HTMLResponse(page.render("category.html", category=found), headers=_headers(page))

    @router.get("/help/_images/{name}")
    def image(name: str, request: Request) -> Response:
        """A picture a published article shows: named by its content, so cached for good."""
        services: Services = request.app.state.services
        sha, _, ext = name.partition(".")
        found = services.articles.public_image(sha)
        if found is None or not found[0].is_file() or IMAGE_TYPES.get(found[1]) != ext:
            return Response("This picture is not on the help center.", 404, media_type="text/plain",
                            headers={"X-Content-Type-Options": "nosniff"})
        return FileResponse(found[0], media_type=found[1], headers={
            "Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox"})

    @router.get("/help/{category}/{slug}")
    def article(category: str, slug: str, request: Request, voted: str = "") -> Response:
        services: Services = request.app.state.services
        page = page_for(services, request, f"/help/{category}/{slug}")
        found = services.articles.find(category, slug, page.language)
        if found is None:
            return not_found(page)
        if not voted:
            services.help_counts.count(found.id, "view")
        return HTMLResponse(page.article(found, voted if voted in ("yes", "no") else "",
                                         vote_action=f"{found.path}/vote"),
                            headers=_headers(page, "no-store" if voted else "public, max-age=60"))

    @router.post("/help/{category}/{slug}/vote")
    async def vote(category: str, slug: str, request: Request) -> Response:
        services: Services = request.app.state.services
        page = await services.db.run_read(page_for, services, request, f"/help/{category}/{slug}")
        found = await services.db.run_read(services.articles.find, category, slug, page.language)
        if found is None:
            return not_found(page)
        if (refused := _limited(services, request)) is not None:
            return refused
        try:
            form = parse_qs((await read_small(request, 200)).decode("utf-8", "replace"), max_num_fields=2)
        except PayloadTooLarge:
            return HTMLResponse("Too long.", status_code=413)
        helped = (form.get("helped") or [""])[0]
        if helped not in ("yes", "no"):
            return HTMLResponse("Say yes or no.", status_code=422)
        services.help_counts.count(found.id, "helped" if helped == "yes" else "not_helped")
        return RedirectResponse(page.url(found.path) + ("&" if "?" in page.url(found.path) else "?") +
                                f"voted={helped}#vote", status_code=303, headers={"Cache-Control": "no-store"})

    return router


@functools.lru_cache(maxsize=4)
def _help_poster(url: str, team: str, offline: bool) -> bytes:
    from helpdesk.web.poster import poster_png  # Pillow and segno load when a poster is first asked for

    return poster_png(url, team, offline, help_center=True)


def _ask(page: HelpPage, article: Any, error: str = "", name: str = "", email: str = "", body: str = "") -> str:
    return page.render("ask.html", article=article, error=error, visitor=name, email=email, body=body,
                       ask_action=page.url("/help/ask"))


def not_found(page: HelpPage) -> Response:
    return HTMLResponse(page.render("search.html", hits=[], query=""), status_code=404,
                        headers={**_headers(page, "no-store"), "X-Robots-Tag": "noindex"})
