"""Request bodies that may carry files: JSON (files as base64 in `attachments`) or
multipart/form-data (the same JSON in a `message` part, files in `files` parts, streamed to
the store a megabyte at a time). Either way the route gets the validated model and the
files already in the store."""

from __future__ import annotations

import json
from typing import Any, Sequence, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from helpdesk.services.container import Services
from helpdesk.services.errors import PayloadTooLarge, ValidationFailed
from helpdesk.services.files import MAX_FILES, StagedFile

M = TypeVar("M", bound=BaseModel)


def multipart_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI request body of a route that takes JSON or multipart."""
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}},
        "multipart/form-data": {"schema": {"type": "object", "required": ["message"], "properties": {
            "message": {"type": "string", "description": f"the {model.__name__} object as JSON"},
            "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}}}


async def read_body(request: Request, services: Services, model: type[M]) -> tuple[M, list[StagedFile]]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        form = await request.form(max_files=MAX_FILES, max_fields=10)
        raw = form.get("message")
        if not isinstance(raw, str):
            raise ValidationFailed("the request has invalid fields", {"message": "a JSON part named message is required"})
        payload = parse_model(model, raw)
        uploads = [(f.file, f.filename) for f in form.getlist("files") if isinstance(f, UploadFile)]
    else:
        payload = parse_model(model, (await request.body()).decode("utf-8", errors="replace"))
        uploads = []
    encoded = [(a.data, a.filename) for a in getattr(payload, "attachments", None) or []]
    return payload, await stage_uploads(services, uploads, encoded)


async def stage_uploads(services: Services, uploads: Sequence[tuple[Any, str | None]],
                        encoded: Sequence[tuple[str, str | None]] = ()) -> list[StagedFile]:
    """Files into the store (streamed uploads, then base64 ones); one over its limit and the
    others of the request go too."""
    files: list[StagedFile] = []
    try:
        for source, name in uploads:
            files.append(await services.db.run_read(services.files.stage_file, source, name))
        for data, name in encoded:
            files.append(await services.db.run_read(services.files.stage_base64, data, name))
    except BaseException:
        await discard(services, files)
        raise
    return files


async def discard(services: Services, files: list[StagedFile]) -> None:
    """The files of a refused request leave the store at once (unless a message has the same bytes)."""
    if files:
        await services.db.run_read(services.files.discard, files)


async def read_small(request: Request, limit: int) -> bytes:
    """A body that must be small (JSON of a chat message), refused past `limit` bytes as it
    streams in, never read whole first."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the request body must be at most {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"the request body must be at most {limit} bytes")
    return bytes(body)


def parse_model(model: type[M], raw: str) -> M:
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):  # not JSON, or nested beyond reason
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body",), "msg": "not JSON"}]) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None
