"""The HTTP side: intake API v1 and the customer link. Thin: every rule is in services."""

from __future__ import annotations

from fastapi import FastAPI

from helpdesk import __version__
from helpdesk.api import customer_link, docs, v1
from helpdesk.api.headers import SecurityHeaders
from helpdesk.api.errors import install_error_handlers
from helpdesk.api.limits import BodySizeLimit
from helpdesk.config import MAX_REQUEST_BYTES, Settings
from helpdesk.services import Services


def create_api(services: Services, settings: Settings) -> FastAPI:
    api = FastAPI(
        title="Helpdesk intake API",
        version=__version__,
        description="Post customer messages into the shared inbox and read conversations back. "
                    "Authenticate with `Authorization: Bearer <token>` (create one with "
                    "`python main.py token create NAME`).",
        openapi_url="/api/openapi.json",
        docs_url=None,  # served from packaged files by api/docs.py, never from a CDN
        redoc_url=None,
        # No automatic trailing-slash redirects: they build their Location from the Host header.
        redirect_slashes=False,
    )
    api.state.services = services
    api.state.settings = settings
    install_error_handlers(api)
    api.include_router(v1.build_router())
    api.include_router(customer_link.build_router())
    api.include_router(docs.build_router())

    api.add_middleware(BodySizeLimit, max_bytes=MAX_REQUEST_BYTES)
    api.add_middleware(SecurityHeaders)
    return api
