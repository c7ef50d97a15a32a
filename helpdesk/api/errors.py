"""Every error leaves the API as {"error": {"code", "message", "fields"}} with the
proper status. A 500 is a bug; it is logged with its traceback and shown as words."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from helpdesk.services.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, ServiceError, Unavailable
from helpdesk.services.ratelimit import RateLimited

log = logging.getLogger(__name__)

_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
                 415: "unsupported_media_type", 422: "validation_failed", 429: "rate_limited"}


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict:
    error: dict[str, object] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def error_response(status: int, code: str, message: str, fields: dict[str, str] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message, fields), status_code=status, headers=headers)


def service_error_answer(exc: ServiceError) -> tuple[int, dict, dict[str, str] | None]:
    """A service's refusal as the API answers it: status, body, extra headers."""
    if isinstance(exc, Unavailable):  # the sender (the SMS phone, Twilio) retries
        return 503, error_body(exc.code, exc.message), {"Retry-After": "60"}
    if isinstance(exc, RateLimited):
        return 429, error_body(exc.code, exc.message), {"Retry-After": str(exc.retry_after)}
    status = 422
    if isinstance(exc, NotFound):
        status = 404
    elif isinstance(exc, Conflict):
        status = 409
    elif isinstance(exc, Forbidden):
        status = 403
    elif isinstance(exc, PayloadTooLarge):
        status = 413
    return status, error_body(exc.code, exc.message, exc.fields), None


def _field_path(loc: tuple) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    return ".".join(parts) or "(request)"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        status, body, headers = service_error_answer(exc)
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(400, "malformed_json", "the request body is not valid JSON")
        fields: dict[str, str] = {}
        for e in errors:
            path = _field_path(tuple(e.get("loc", ())))
            if e.get("type") == "missing" and path == "(request)":
                return error_response(400, "missing_body", "a JSON object is required as the request body")
            message = e.get("msg", "is not valid")
            if e.get("type") == "extra_forbidden":
                message = "is not a known field"
            fields.setdefault(path, message)
        return error_response(422, "validation_failed", "the request has invalid fields", fields)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(RecursionError)
    async def too_deep(_request: Request, _exc: RecursionError) -> JSONResponse:
        # JSON nested a thousand levels deep: a refusal in words, never a traceback.
        return error_response(400, "malformed_json", "the request body is nested too deeply")

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return error_response(500, "internal_error", "something went wrong on the server; it has been logged")
