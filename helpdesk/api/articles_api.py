"""Help articles through the API: a bot answers with one (`GET /api/v1/articles?q=`, scope
read); an integration writes them (scope admin). The site that shows them is /help
(api/help_site.py); suggestions for a visitor while they type are
`GET /widget/{key}/suggest?q=` and `GET /c/{token}/suggest?q=` (no token: what a customer may read)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Annotated, Any, Literal, Optional

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from helpdesk.api.bodies import read_small
from helpdesk.api.limits import client_address
from helpdesk.api.schemas import MAX_ID
from helpdesk.api.v1 import ERROR_RESPONSES, scoped, services_of
from helpdesk.services.base import UNSET, Actor, require_scope
from helpdesk.services.errors import NotFound, PayloadTooLarge
from helpdesk.services.help.articles import MAX_BODY, MAX_CATEGORY, MAX_QUERY, MAX_TITLE, ArticleView
from helpdesk.services.ratelimit import RateLimited
from helpdesk.services.reports.service import check_period

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Admin = Annotated[Actor, Depends(scoped("admin"))]
Reader = Annotated[Actor, Depends(scoped("read"))]
Status = Literal["draft", "published"]


class ArticleOut(BaseModel):
    id: int
    title: str
    slug: str
    body: str = Field(description="Markdown")
    category: str = Field(description='"" for none (shown as General)')
    language: str
    status: Status
    url: str = Field(description="its page on the help center (where a customer can read it once published)")
    excerpt: str
    author: str
    created_at: str
    updated_at: str
    published_at: Optional[str]


class ArticlesOut(BaseModel):
    articles: list[ArticleOut]


class ArticleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "title": "When to change brake pads", "body": "Check the **pads** every month…", "category": "Repairs",
        "language": "en", "status": "published"}]})
    title: StrictStr = Field(max_length=MAX_TITLE)
    body: StrictStr = Field("", max_length=MAX_BODY, description="Markdown")
    category: StrictStr = Field("", max_length=MAX_CATEGORY)
    language: StrictStr = Field("en", max_length=16, description="a language code: en, de, pt-br")
    status: Status = "draft"


class ArticlePatch(BaseModel):
    """Any of these; what is left out stays as it is. A new title keeps the article's address."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"status": "published"}]})
    title: Optional[StrictStr] = Field(None, max_length=MAX_TITLE)
    body: Optional[StrictStr] = Field(None, max_length=MAX_BODY)
    category: Optional[StrictStr] = Field(None, max_length=MAX_CATEGORY)
    language: Optional[StrictStr] = Field(None, max_length=16)
    status: Optional[Status] = None


class SuggestionOut(BaseModel):
    title: str
    url: str
    excerpt: str


class SuggestionsOut(BaseModel):
    articles: list[SuggestionOut]


def article_out(request: Request, a: ArticleView) -> dict[str, Any]:
    services = services_of(request)
    return {"id": a.id, "title": a.title, "slug": a.slug, "body": a.body, "category": a.category,
            "language": a.language, "status": a.status, "url": services.articles.url(a), "excerpt": a.excerpt,
            "author": a.author, "created_at": a.created_at.isoformat(), "updated_at": a.updated_at.isoformat(),
            "published_at": a.published_at.isoformat() if a.published_at else None}


def suggestions(request: Request, query: str, language: str | None) -> Response:
    """Up to three published articles for a visitor's words, counted as suggested."""
    services = services_of(request)
    try:
        services.limits.help_searches.check(client_address(request), "too many searches from this address")
    except RateLimited as exc:
        return JSONResponse({"error": {"code": exc.code, "message": exc.message}}, status_code=429,
                            headers={"Retry-After": str(exc.retry_after)})
    lang = services.articles.pick_language(request.headers.get("accept-language"), language)
    found = services.articles.suggest(query[:MAX_QUERY], lang)
    for a in found:
        services.help_counts.count(a.id, "suggested")
    return JSONResponse({"articles": [{"id": a.id, "title": a.title, "url": services.articles.url(a), "excerpt": a.excerpt}
                                      for a in found]}, headers={"Cache-Control": "no-store"})


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["articles"])

    @router.get("/articles", response_model=ArticlesOut, responses=ERROR_RESPONSES,
                summary="Help articles: search the published ones, or list them (scope read)",
                description="With `q`: published articles matching every word (the last as a prefix), best first. "
                            "Without: every published article. `language` narrows either; `status=draft` (scope "
                            "admin) lists drafts.")
    def articles(request: Request, actor: Reader, q: Annotated[str, Query(max_length=MAX_QUERY)] = "",
                 language: Annotated[str, Query(max_length=16)] = "",
                 status: Optional[Status] = None) -> dict[str, Any]:
        services = services_of(request)
        if status == "draft":
            require_scope(actor, "admin", "read draft articles")
            found = services.articles.all("draft", language or None)
        elif q.strip():
            found = [h.article for h in services.articles.search(q, language or None, 50)]
        else:
            found = services.articles.all("published", language or None)
        return {"articles": [article_out(request, a) for a in found]}

    @router.post("/articles", response_model=ArticleOut, status_code=201, responses=ERROR_RESPONSES,
                 summary="Write a help article (scope admin)")
    def create(body: ArticleIn, request: Request, actor: Admin) -> dict[str, Any]:
        return article_out(request, services_of(request).articles.create(
            actor, body.title, body.body, body.category, body.language, body.status))

    @router.patch("/articles/{article_id}", response_model=ArticleOut, responses=ERROR_RESPONSES,
                  summary="Change, publish or unpublish a help article (scope admin)")
    def change(article_id: Id, body: ArticlePatch, request: Request, actor: Admin) -> dict[str, Any]:
        given = {k: getattr(body, k) for k in body.model_fields_set if getattr(body, k) is not None}
        return article_out(request, services_of(request).articles.change(
            article_id, actor, **{k: given.get(k, UNSET) for k in ("title", "body", "category", "language", "status")}))

    @router.delete("/articles/{article_id}", response_model=ArticleOut, responses=ERROR_RESPONSES,
                   summary="Delete a help article (scope admin)")
    def remove(article_id: Id, request: Request, actor: Admin) -> dict[str, Any]:
        return article_out(request, services_of(request).articles.delete(article_id, actor))

    @router.get("/reports/help", tags=["reports"], responses=ERROR_RESPONSES,
                summary="The help center's figures for a period: per article, and searches that found nothing "
                        "(scope read)")
    def help_report(request: Request, _actor: Reader, from_: Annotated[Optional[date], Query(alias="from")] = None,
                    to: Optional[date] = None) -> dict[str, Any]:
        report = _help_report(request, from_, to)
        return {"from": report.first.isoformat(), "to": report.last.isoformat(), "views": report.views,
                "helped": report.helped, "conversations_avoided": report.deflected, "searches": report.searches,
                "articles": [{"id": a.article_id, "title": a.title, "path": a.path, "views": a.views,
                              "helped": a.helped, "not_helped": a.not_helped, "suggested": a.suggested,
                              "conversations_avoided": a.deflected} for a in report.articles],
                "not_found": [{"query": q, "count": n} for q, n in report.unanswered]}

    @router.get("/reports/help.csv", tags=["reports"], response_class=Response, responses=ERROR_RESPONSES,
                summary="The help center's figures for a period, as CSV (scope read)")
    def help_report_csv(request: Request, _actor: Reader, from_: Annotated[Optional[date], Query(alias="from")] = None,
                        to: Optional[date] = None) -> Response:
        report = _help_report(request, from_, to)
        return Response(services_of(request).help_counts.to_csv(report), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition":
                                 f'attachment; filename="helpdesk-help-center-{report.first}-{report.last}.csv"'})

    return router


def _help_report(request: Request, start: date | None, end: date | None) -> Any:
    """The inclusive period asked for (the last 30 days when not given), checked as the other reports are."""
    counts = services_of(request).help_counts
    today = counts.today()
    start, end = start or today - timedelta(days=29), end or today
    check_period(start, end)
    return counts.report(start, end, top_misses=100)


def _site_or_none(services: Any, key: str) -> Any:
    try:
        return services.chat.site(key)
    except NotFound:
        return None


def _site_refusal(services: Any, channel: Any, origin: str | None) -> Response | None:
    """404 for a chat key that is not one, 403 for a page of a site the chat is not for."""
    if channel is None:
        return JSONResponse({"error": {"code": "not_found", "message": "there is no chat with this key"}},
                            status_code=404)
    if not services.chat.origin_allowed(channel, origin):
        return JSONResponse({"error": {"code": "forbidden", "message": "this site may not use this chat"}},
                            status_code=403)
    return None


def build_suggest_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/widget/{key}/suggest")
    def widget_suggest(key: str, request: Request, q: Annotated[str, Query(max_length=MAX_QUERY)] = "",
                       lang: Annotated[str, Query(max_length=16)] = "") -> Response:
        services = services_of(request)
        origin = request.headers.get("origin")
        refused = _site_refusal(services, _site_or_none(services, key), origin)
        if refused is not None:
            return refused
        answer = suggestions(request, q, lang or None)
        if origin:
            answer.headers["Access-Control-Allow-Origin"] = origin
            answer.headers["Vary"] = "Origin"
        return answer

    @router.post("/widget/{key}/answered")
    async def answered(key: str, request: Request) -> Response:
        """A visitor said a suggested article answered them: counted as a conversation avoided."""
        services = services_of(request)
        channel = await services.db.run_read(_site_or_none, services, key)
        origin = request.headers.get("origin")
        refused = _site_refusal(services, channel, origin)
        if refused is not None:
            return refused
        cors = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"} if origin else {}
        try:
            services.limits.help_searches.check(client_address(request), "too many requests from this address")
            article = json.loads(await read_small(request, 200) or b"{}").get("article")
        except RateLimited as exc:
            return JSONResponse({"error": {"code": exc.code, "message": exc.message}}, status_code=429,
                                headers={**cors, "Retry-After": str(exc.retry_after)})
        except (PayloadTooLarge, ValueError, AttributeError):
            return JSONResponse({"error": {"code": "invalid", "message": "expected {\"article\": <id>}"}},
                                status_code=422, headers=cors)
        seen = await services.db.run_read(services.articles.seen, [article] if isinstance(article, int) else [])
        if not seen:
            return JSONResponse({"error": {"code": "not_found", "message": "no such article"}}, status_code=404,
                                headers=cors)
        services.help_counts.count(seen[0]["id"], "deflected")
        return Response(status_code=204, headers=cors)

    @router.get("/c/{token}/suggest")
    def page_suggest(token: str, request: Request, q: Annotated[str, Query(max_length=MAX_QUERY)] = "") -> Response:
        services = services_of(request)
        try:
            services.conversations.get_by_token(token)
        except NotFound:  # unknown links cost the asking address, as on the page itself
            try:
                services.limits.customer_page.check(client_address(request), "too many unknown links")
            except RateLimited as exc:
                return JSONResponse({"error": {"code": exc.code, "message": exc.message}}, status_code=429,
                                    headers={"Retry-After": str(exc.retry_after)})
            return JSONResponse({"error": {"code": "not_found", "message": "conversation not found"}}, status_code=404)
        return suggestions(request, q, None)

    return router
