"""The intake route without FastAPI's router. Routes whose endpoint carries a plain Starlette
handler (v1.PlainRoute: POST /api/v1/messages) are also served by a small Starlette app with the
same middleware, error handlers and state, which the server's dispatcher sends their requests
to directly: FastAPI's router (its included routers matched per request) took a fifth of the
event loop's time per message once the writing had moved off it (docs/performance.md). FastAPI
still documents them, and still serves them where no dispatcher stands in front (TestClient)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp


def plain_routes(api: FastAPI) -> dict[tuple[str, str], ASGIApp]:
    """(method, path) → the app that serves it; only exact paths (no parameters)."""
    # FastAPI 0.140 keeps included routers as such: their routes, with the prefixes applied, are
    # what iter_route_contexts gives (as for the OpenAPI document).
    routes = [Route(c.path, c.original_route.endpoint.plain, methods=sorted(c.methods or ()))  # type: ignore
              for c in iter_route_contexts(api.routes)
              if isinstance(c.original_route, APIRoute) and hasattr(c.original_route.endpoint, "plain")
              and c.path and "{" not in c.path]
    if not routes:
        return {}
    app = Starlette(routes=routes, middleware=api.user_middleware, exception_handlers=api.exception_handlers)
    app.state = api.state
    return {(method, route.path): app for route in routes for method in route.methods or ()}
