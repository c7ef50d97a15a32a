"""Serving stored files. Never as a page: HTML, SVG and anything not a plain image is a
download (Content-Disposition: attachment, served as octet-stream when it could run
script), images may show inline; nosniff and a sandboxing CSP always. /files/… answers
signed, expiring links (the UI, the customer page, webhooks, mail), /api/v1/attachments/…
bearer tokens."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

from helpdesk.models import Attachment
from helpdesk.services.errors import NotFound
from helpdesk.services.files import INLINE_TYPES, MEDIA_TYPES, THUMB_TYPES, FileService
from helpdesk.services.images import Busy

SCRIPTABLE = ("text/html", "image/svg+xml", "application/xml", "text/xml", "application/xhtml+xml")
FILE_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox",
                "Cache-Control": "private, max-age=3600", "Referrer-Policy": "no-referrer"}


def disposition(kind: str, filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def file_response(files: FileService, attachment: Attachment, thumb: bool = False) -> Response:
    if thumb and attachment.content_type in THUMB_TYPES:
        try:
            small = files.thumbnail(attachment)
        except Busy as exc:
            return PlainTextResponse(f"No preview now: {exc}.", 503, headers={**FILE_HEADERS, "Retry-After": "5"})
        if small is None:  # over the decoding budget, or unreadable: never the full image in its place
            return PlainTextResponse("No preview of this image: it is too large or cannot be read; the file "
                                     "itself can still be downloaded.", 404, headers=FILE_HEADERS)
        return FileResponse(small, media_type="image/jpeg", headers=FILE_HEADERS)
    inline = attachment.content_type in INLINE_TYPES or attachment.content_type in MEDIA_TYPES
    media = "application/octet-stream" if attachment.content_type in SCRIPTABLE else attachment.content_type
    return FileResponse(files.path_of(attachment.sha256), media_type=media, headers={
        **FILE_HEADERS, "Content-Disposition": disposition("inline" if inline else "attachment", attachment.filename)})


def build_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/files/logo")
    async def logo(request: Request) -> Response:
        """The team's logo, for customers' pages and the chat (public: it is on the shop's site anyway)."""
        found = await request.app.state.services.db.run_read(request.app.state.services.promise.logo)
        if found is None:
            return PlainTextResponse("no logo", 404)
        data, kind = found
        return Response(data, media_type=kind, headers={"Cache-Control": "public, max-age=300",
                                                        "X-Content-Type-Options": "nosniff",
                                                        "Cross-Origin-Resource-Policy": "cross-origin"})

    @router.get("/files/{attachment_id}/{name}")
    def signed(attachment_id: Annotated[int, Path(ge=1, le=2**31 - 1)], name: str, request: Request,
               e: Annotated[str, Query(max_length=20)] = "", v: Annotated[str, Query(max_length=10)] = "file",
               s: Annotated[str, Query(max_length=64)] = ""):
        files: FileService = request.app.state.services.files
        if not files.check_link(attachment_id, e, v, s):
            return PlainTextResponse("This link to a file is not valid, or it has expired.", status_code=403)
        try:
            return file_response(files, files.get(attachment_id), thumb=v == "thumb")
        except NotFound:
            return PlainTextResponse("This file is no longer here.", status_code=404)

    @router.get("/files/mail/{record_id}/{name}")
    def mail_original(record_id: Annotated[int, Path(ge=1, le=2**31 - 1)], name: str, request: Request,
                      e: Annotated[str, Query(max_length=20)] = "", v: Annotated[str, Query(max_length=10)] = "eml",
                      s: Annotated[str, Query(max_length=64)] = ""):
        services = request.app.state.services
        if not services.files.check_mail_link(record_id, e, v, s):
            return PlainTextResponse("This link to a mail is not valid, or it has expired.", status_code=403)
        record = services.mail.intake.record(record_id)
        if record is None or not record.raw_sha256:
            return PlainTextResponse("This mail is no longer here.", status_code=404)
        if v == "html":  # sanitised when it came in; shown sandboxed, no scripts, no remote images (trackers)
            return HTMLResponse(record.html or "<p>This mail had no HTML part.</p>", headers={
                **FILE_HEADERS, "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                           "img-src data:; sandbox"})
        path = services.files.path_of(record.raw_sha256)
        if not path.exists():
            return PlainTextResponse("This mail is no longer here.", status_code=404)
        return FileResponse(path, media_type="message/rfc822", headers={
            **FILE_HEADERS, "Content-Disposition": disposition("attachment", f"mail-{record_id}.eml")})

    return router
