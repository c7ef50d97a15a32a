"""Intake API v1: the small, stable contract integrations rely on (README, "The API"; /api/docs)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Callable, Coroutine, Literal, Optional

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from helpdesk import __version__
from helpdesk.api.bodies import multipart_schema, read_body
from helpdesk.api.intake_route import accept_message, check_rate
from helpdesk.api.schemas import (MAX_ID, ConversationList, ConversationWithMessages, Health, MessageAccepted,
                                  MessageIn, conversation_detail_out, conversation_out)
from helpdesk.api.limits import client_address
from helpdesk.api.schemas import AgentRef
from helpdesk.models import ApiToken
from helpdesk.services.base import Actor, require_scope, stored_id
from helpdesk.services.container import Services
from helpdesk.services.conversations import ConversationFilter
from helpdesk.services.ratelimit import RateLimited

ERROR_RESPONSES = {
    400: {"description": "malformed JSON"},
    401: {"description": "missing or wrong token"},
    403: {"description": "the token lacks the scope this route needs (named in error.message)"},
    404: {"description": "no such conversation (or not this customer's)"},
    409: {"description": "idempotency key reused for a different message"},
    413: {"description": "request body over 1 MiB"},
    422: {"description": "invalid fields, named in error.fields"},
    429: {"description": "too many messages for this token, or too many wrong tokens from this address; "
                         "wait Retry-After seconds"},
}


CSV_RESPONSE = {"description": "CSV for spreadsheets (cells a spreadsheet would run as a formula start with ')",
                "content": {"text/csv": {"schema": {"type": "string"}}}}


def base_url(request: Request) -> str:
    """Links in answers come from the configured address (services/links.py), never the Host header."""
    return services_of(request).links.base_url()


def services_of(request: Request) -> Services:
    return request.app.state.services


async def require_token(request: Request, authorization: Annotated[Optional[str], Header()] = None) -> Actor:
    """Bearer token auth: from the in-memory cache when possible, else the database (in a thread).
    The credential is checked first: a right token is never refused because others at the same
    address guessed wrong; only wrong ones count towards the address's limit."""
    services = services_of(request)
    scheme, _, secret = (authorization or "").partition(" ")
    token: ApiToken | None = None
    if scheme.lower() == "bearer" and secret.strip():
        tokens = services.tokens
        token = tokens.cached(secret.strip()) or await services.db.run_read(tokens.authenticate, secret.strip())
    if token is None:
        client = client_address(request)
        if wait := services.limits.bad_token.take(client):  # this address has been guessing
            raise RateLimited("too many requests with a wrong API token", wait)
        raise HTTPException(401, "a valid API token is required: Authorization: Bearer <token>",
                            headers={"WWW-Authenticate": "Bearer"})
    return Actor.for_token(token, client_address(request))


def conversation_json(request: Request, conversation_id: int) -> dict:
    """A conversation with its public messages, as the API shows it (read in a worker thread)."""
    services = services_of(request)
    detail = services.conversations.get(conversation_id, public_only=True)
    data = conversation_detail_out(detail, base_url(request), services.clock.now(),
                                   services.sla.breaches(conversation_id), services.teams.names())
    data["reply_options"] = services.conversations.reply_options(conversation_id)
    return data


def scoped(scope: str):
    """A dependency: the token, which must carry `scope` (403 naming it otherwise)."""

    async def check(actor: Annotated[Actor, Depends(require_token)]) -> Actor:
        return require_scope(actor, scope, SCOPE_WORDS[scope])

    return check


SCOPE_WORDS = {"intake": "post customer messages", "read": "read conversations, files and events",
               "reply": "answer, note and change conversations", "admin": "administer Helpdesk"}


class PlainRoute(APIRoute):
    """A route documented from its endpoint's signature like any other, but served by the plain
    Starlette handler set as the endpoint's `plain`. For the intake route, the busiest: FastAPI's
    per-request dependency and parameter solving was ~45% of the event loop's time per message
    (py-spy, docs/performance.md)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        plain: Callable[[Request], Coroutine[Any, Any, Response]] = getattr(self.endpoint, "plain")
        return plain


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1")

    @router.get("/health", response_model=Health, tags=["health"], summary="Is the server up")
    async def health() -> dict:
        return {"status": "ok", "version": __version__}

    async def post_message(request: Request, actor: Annotated[Actor, Depends(scoped("intake"))],
                           idempotency_key: Annotated[Optional[str], Header(alias="Idempotency-Key")] = None):
        return await receive_message(request, actor, idempotency_key)

    async def serve_post_message(request: Request) -> Response:
        # What FastAPI would solve from post_message's signature (documented there), done by hand.
        actor = require_scope(await require_token(request, request.headers.get("authorization")), "intake",
                              SCOPE_WORDS["intake"])
        return await receive_message(request, actor, request.headers.get("idempotency-key"))

    setattr(post_message, "plain", serve_post_message)  # what PlainRoute serves
    router.add_api_route(
        "/messages", post_message, methods=["POST"], route_class_override=PlainRoute, status_code=201,
        response_model=MessageAccepted, tags=["intake"], summary="A customer message arrives (scope intake)",
        openapi_extra=multipart_schema(MessageIn),
        responses={200: {"description": "idempotent replay", "model": MessageAccepted}, **ERROR_RESPONSES},
        description="JSON, or multipart/form-data with the same JSON in a `message` part and files in "
                    "`files` parts (better for large files). Files: at most 25 MB each and 50 MB a "
                    "message by default (413 beyond).")

    async def receive_message(request: Request, actor: Actor, idempotency_key: Optional[str]) -> Response:
        services = services_of(request)
        check_rate(services, actor)
        payload, files = await read_body(request, services, MessageIn)
        status, body = await accept_message(services, payload, files, actor, idempotency_key)
        return JSONResponse(body, status_code=status)

    @router.get("/conversations/{conversation_id}", response_model=ConversationWithMessages,
                tags=["conversations"], summary="A conversation with its public messages in order (scope read)",
                responses=ERROR_RESPONSES)
    def get_conversation(conversation_id: Annotated[int, Path(ge=1, le=MAX_ID)], request: Request,
                         _actor: Annotated[Actor, Depends(scoped("read"))]) -> dict:
        return conversation_json(request, conversation_id)

    @router.get("/conversations", response_model=ConversationList, tags=["conversations"],
                summary="Conversations, newest first (scope read)", responses=ERROR_RESPONSES)
    def list_conversations(
        request: Request, _actor: Annotated[Actor, Depends(scoped("read"))],
        status: Optional[Literal["open", "pending", "snoozed", "resolved"]] = None,
        customer_email: Annotated[Optional[str], Query(max_length=254)] = None,
        priority: Optional[Literal["urgent", "high", "normal", "low"]] = None,
        tag: Annotated[Optional[str], Query(max_length=50)] = None,
        assignee_id: Annotated[Optional[int], Query(ge=1, le=MAX_ID)] = None,
        unassigned: bool = False,
        team: Annotated[Optional[str], Query(max_length=60, description="a team's name: its queue only")] = None,
        spam: Annotated[bool, Query(description="true: the conversations in Spam instead (left out otherwise)")] = False,
        limit: Annotated[int, Query(ge=1, le=100)] = 50,
        cursor: Annotated[Optional[int], Query(ge=1, le=MAX_ID)] = None,
    ) -> dict:
        services = services_of(request)
        page = services.conversations.list(
            ConversationFilter(status=status, customer_email=customer_email, priority=priority, tag=tag,
                               assignee_id=assignee_id, unassigned=unassigned, spam=spam,
                               team_id=services.teams.resolve(team) if team else None), limit=limit,
            before_id=cursor)
        teams = services.teams.names()
        agents = {a.id: a for a in services_of(request).agents.list()}
        url = base_url(request)
        items = []
        for c in page.conversations:
            agent = agents.get(c.assignee_id) if c.assignee_id else None
            items.append(conversation_out(c, page.customers[c.customer_id], page.tags.get(stored_id(c), []),
                                          AgentRef(id=stored_id(agent), name=agent.name) if agent else None, url,
                                          services_of(request).clock.now(),
                                          preview_is_public=c.id not in page.last_is_note,
                                          team=teams.get(c.team_id) if c.team_id is not None else None))
        return {"conversations": items, "next_cursor": page.next_cursor}

    def period(request: Request, start: Optional[date], end: Optional[date]) -> tuple[date, date]:
        """The inclusive period asked for; the last 30 days when not given."""
        today = services_of(request).clock.now().date()
        return start or today - timedelta(days=29), end or today

    @router.get("/reports/summary", tags=["reports"], summary="Service figures for a period, overall and per agent (scope read)",
                responses=ERROR_RESPONSES)
    def report_summary(request: Request, _actor: Annotated[Actor, Depends(scoped("read"))],
                       from_: Annotated[Optional[date], Query(alias="from")] = None,
                       to: Optional[date] = None,
                       team: Annotated[Optional[str], Query(max_length=60, description="a team's name: its "
                                                            "queue's figures only")] = None,
                       ) -> dict:
        start, end = period(request, from_, to)
        services = services_of(request)
        return jsonable(asdict(services.reports.summary(start, end, team_id=services.teams.resolve(team))))

    @router.get("/reports/summary.csv", tags=["reports"], summary="The summary as CSV (scope read)", response_class=Response,
                responses={200: CSV_RESPONSE, **ERROR_RESPONSES})
    def report_summary_csv(request: Request, _actor: Annotated[Actor, Depends(scoped("read"))],
                           from_: Annotated[Optional[date], Query(alias="from")] = None,
                           to: Optional[date] = None,
                       team: Annotated[Optional[str], Query(max_length=60, description="a team's name: its "
                                                            "queue's figures only")] = None,
                           ) -> Response:
        start, end = period(request, from_, to)
        services = services_of(request)
        reports = services.reports
        return Response(reports.to_csv(reports.summary(start, end, team_id=services.teams.resolve(team))), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="helpdesk-report-{start}-{end}.csv"'})

    @router.get("/conversations.csv", tags=["reports"], summary="Conversations created in a period, as CSV (scope read)",
                response_class=Response, responses={200: CSV_RESPONSE, **ERROR_RESPONSES})
    def conversations_csv(request: Request, _actor: Annotated[Actor, Depends(scoped("read"))],
                          from_: Annotated[Optional[date], Query(alias="from")] = None,
                          to: Optional[date] = None,
                       team: Annotated[Optional[str], Query(max_length=60, description="a team's name: its "
                                                            "queue's figures only")] = None,
                          ) -> Response:
        start, end = period(request, from_, to)
        services = services_of(request)
        text = services.reports.conversations_csv(start, end, team_id=services.teams.resolve(team))
        return Response(text, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="helpdesk-conversations-{start}-{end}.csv"'})

    return router


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value
