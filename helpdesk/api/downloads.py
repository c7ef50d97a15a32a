"""GET /downloads/{token}: a file an agent asked for in the UI (services/downloads.py), once.
Not on the customer side of the public gate: the internet never reaches it."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask


def build_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/downloads/{token}")
    def download(token: str, request: Request) -> FileResponse:
        offered = request.app.state.services.downloads.take(token) if len(token) <= 64 else None
        if offered is None:
            raise HTTPException(404, "this download link has expired or was used; ask for the file again")
        return FileResponse(offered.path, media_type=offered.media_type, filename=offered.filename,
                            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
                            background=BackgroundTask(offered.path.unlink, missing_ok=True))

    return router
