"""The HTTP side: intake API v1 and the customer link. Thin: every rule is in services."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from helpdesk import __version__
from helpdesk.api import (agent_api, articles_api, assist_api, channel_hooks, customer_link, docs, downloads, files,
                          help_site, macros_api, payments_api, teams_api, trust_api, v1, widget)
from helpdesk.api.headers import SecurityHeaders
from helpdesk.api.errors import install_error_handlers
from helpdesk.api.limits import BodySizeLimit
from helpdesk.api.schemas import MessageIn, NoteIn, ReplyIn
from helpdesk.config import MAX_REQUEST_BYTES, Settings
from helpdesk.services.container import Services

API_DESCRIPTION = """Post customer messages into the shared inbox, read conversations back, and (as a bot)
answer, note, change and hand conversations over to people.

**Authentication**: `Authorization: Bearer <token>`. An admin creates tokens in Settings › API tokens
or with `python main.py token create NAME --scope intake,read`; each token has scopes:

| scope | lets a token |
|---|---|
| `intake` | post customer messages (`POST /api/v1/messages`) |
| `read` | read conversations, messages, files, reports and events |
| `reply` | answer customers, leave notes, change status/assignee/priority/tags, hand over (a bot) |
| `admin` | act as an admin |

A route the token's scopes do not cover answers 403. **Errors** are always
`{"error": {"code", "message", "fields"}}`: 400 malformed JSON, 401 missing or wrong token, 403 a missing
scope or role, 404 unknown, 409 a conflict (idempotency key reuse, a status that cannot follow), 413 a body
or file over its limit, 422 invalid fields (each named), 429 too many requests (with Retry-After).
**Files** go in as base64 in JSON or as multipart/form-data; they come back with a `url` to GET with the
token."""

UPLOAD_PATHS = tuple(re.compile(p) for p in (r"/api/v1/messages", r"/api/v1/conversations/\d+/(replies|notes)",
                                             r"/c/[^/]+", r"/widget/[^/]+/messages"))


def openapi_with_bodies(api: FastAPI) -> dict:
    """FastAPI's document, plus the bodies of routes that read JSON or multipart themselves."""
    if api.openapi_schema is None:
        schema = get_openapi(title=api.title, version=api.version, description=api.description, routes=api.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (MessageIn, ReplyIn, NoteIn):
            body = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(body.pop("$defs", {}))
            components[model.__name__] = body
        api.openapi_schema = schema
    return api.openapi_schema


def create_api(services: Services, settings: Settings, webhooks: Any = None) -> FastAPI:
    """`webhooks`: the channels' webhook receivers (channels/texts/webhooks.py), given by the
    composition root so the API never imports a channel."""
    api = FastAPI(
        title="Helpdesk API",
        version=__version__,
        description=API_DESCRIPTION,
        openapi_url="/api/openapi.json",
        docs_url=None,  # served from packaged files by api/docs.py, never from a CDN
        redoc_url=None,
        # No automatic trailing-slash redirects: they build their Location from the Host header.
        redirect_slashes=False,
    )
    api.state.services = services
    api.state.settings = settings
    api.state.webhooks = webhooks
    install_error_handlers(api)
    api.include_router(v1.build_router())
    api.include_router(agent_api.build_router(services))
    api.include_router(assist_api.build_router())
    api.include_router(trust_api.build_router())
    api.include_router(teams_api.build_router())
    api.include_router(macros_api.build_router())
    api.include_router(articles_api.build_router())
    api.include_router(articles_api.build_suggest_router())
    api.include_router(help_site.build_router())
    api.include_router(payments_api.build_router())
    api.include_router(downloads.build_router())
    api.include_router(customer_link.build_router())
    api.include_router(files.build_router())
    api.include_router(channel_hooks.build_router())
    api.include_router(widget.build_router())
    api.include_router(docs.build_router())

    # Routes that take files may carry a message's worth of them, base64 (4/3) and form overhead included.
    upload = settings.max_message_mb * 1_000_000 * 4 // 3 + MAX_REQUEST_BYTES
    api.add_middleware(BodySizeLimit, max_bytes=MAX_REQUEST_BYTES, upload_bytes=upload, upload_paths=UPLOAD_PATHS)
    api.add_middleware(SecurityHeaders)
    setattr(api, "openapi", lambda: openapi_with_bodies(api))  # the schema with each body's documented fields
    return api
