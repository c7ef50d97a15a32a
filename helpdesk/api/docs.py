"""The API's documentation page, served from files in the package (swagger-ui-bundle),
never a CDN: it works with the network unplugged, and no third party's script runs on the
API's origin. The page runs only the two scripts below, which its CSP names."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse
from swagger_ui_bundle import swagger_ui_path

ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css",
          "favicon-32x32.png": "image/png"}
INIT = """window.onload = function () {
  window.ui = SwaggerUIBundle({url: "/api/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
                              validatorUrl: null, tryItOutEnabled: false});
};
"""
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Helpdesk API</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
<link rel="icon" href="/api/docs/assets/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/assets/init.js"></script></body></html>
"""
DOCS_HEADERS = {"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                           "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                                           "base-uri 'none'; form-action 'none'",
                "Cache-Control": "no-cache"}


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api/docs", include_in_schema=False)

    @router.get("")
    def page() -> HTMLResponse:
        return HTMLResponse(PAGE, headers=DOCS_HEADERS)

    @router.get("/assets/init.js")
    def init() -> PlainTextResponse:
        return PlainTextResponse(INIT, media_type="text/javascript", headers=DOCS_HEADERS)

    @router.get("/assets/{name}")
    def asset(name: str):
        if name not in ASSETS:
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(swagger_ui_path / name, media_type=ASSETS[name],
                            headers={"Cache-Control": "public, max-age=86400"})

    return router
