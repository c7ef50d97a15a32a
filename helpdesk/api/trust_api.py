"""Trust for integrators (scope admin unless said): a customer's data exported or erased, the
audit log, the blocklist; spam marking for bots (scope reply). docs/privacy.md says what each does."""

from __future__ import annotations

import tempfile
from datetime import datetime
from typing import Annotated, Any, Iterator, Literal, Optional

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from helpdesk.api.schemas import MAX_ID
from helpdesk.api.v1 import ERROR_RESPONSES, conversation_json, scoped, services_of
from helpdesk.services.base import Actor, stored_id
from helpdesk.services.errors import NotFound

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
CHUNK = 64 * 1024
Admin = Annotated[Actor, Depends(scoped("admin"))]
Replier = Annotated[Actor, Depends(scoped("reply"))]


class ErasedOut(BaseModel):
    customer_id: int
    conversations: int = Field(description="kept as 'Erased customer', with their times, statuses and counts")
    messages: int = Field(description="whose texts, files and mail originals are gone")
    files_deleted: int = Field(description="files removed from the store (those nothing else refers to)")


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor_type: str = Field(description="agent, api, customer or system")
    actor_id: Optional[int]
    actor_name: str
    action: str = Field(description="what happened, e.g. agent.signed_in, customer.erased, blocklist.added")
    conversation_id: Optional[int]
    address: str = Field(description="where from: the desktop window, or the client's IP address")
    detail: dict


class AuditPage(BaseModel):
    entries: list[AuditEntryOut]
    next_after: Optional[int] = Field(description="pass as `after` for the next page; null at the end")


class BlockIn(BaseModel):
    kind: Literal["email", "domain", "phone", "telegram", "visitor"]
    value: str = Field(min_length=1, max_length=254)


class BlockOut(BlockIn):
    id: int
    created_at: datetime
    created_by: str


class Blocklist(BaseModel):
    blocked: list[BlockOut]


class SpamIn(BaseModel):
    block: list[BlockIn] = Field(default_factory=list, description="senders to block with it")


class NotSpamIn(BaseModel):
    unblock: bool = Field(False, description="also remove the customer's entries from the blocklist")


def _stream(spooled: Any) -> Iterator[bytes]:
    try:
        spooled.seek(0)
        while chunk := spooled.read(CHUNK):
            yield chunk
    finally:
        spooled.close()


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1")

    @router.get("/customers/{customer_id}/export", tags=["privacy"], responses={
        **ERROR_RESPONSES, 200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
                                 "description": "customer.json, every file and mail, and a README of the format"}},
        summary="Everything held about a customer, as one zip (scope admin)", response_class=StreamingResponse)
    def export_customer(customer_id: Id, request: Request, actor: Admin) -> StreamingResponse:
        spooled = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # larger exports go to a temporary file
        try:
            services_of(request).privacy.export(customer_id, spooled, actor)
        except Exception:
            spooled.close()
            raise
        name = f"customer-{customer_id}-export.zip"
        return StreamingResponse(_stream(spooled), media_type="application/zip",
                                 headers={"Content-Disposition": f'attachment; filename="{name}"',
                                          "Cache-Control": "no-store"})

    @router.post("/customers/{customer_id}/erase", response_model=ErasedOut, tags=["privacy"],
                 summary="Erase a customer's data for good (scope admin); backups keep it until they rotate out",
                 responses=ERROR_RESPONSES)
    def erase_customer(customer_id: Id, request: Request, actor: Admin) -> dict:
        erased = services_of(request).privacy.erase(customer_id, actor)
        return erased.__dict__

    @router.get("/audit", response_model=AuditPage, tags=["privacy"], responses=ERROR_RESPONSES,
                summary="The audit log, oldest first after `after` (scope admin); kept two years")
    def audit_log(request: Request, _actor: Admin,
                  after: Annotated[int, Query(ge=0, le=2**62)] = 0,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict:
        entries = services_of(request).auditlog.after(after, limit)
        return {"entries": [e.__dict__ for e in entries],
                "next_after": entries[-1].id if len(entries) == limit else None}

    @router.get("/blocklist", response_model=Blocklist, tags=["privacy"], responses=ERROR_RESPONSES,
                summary="Blocked senders: their messages go straight to Spam (scope admin)")
    def blocklist(request: Request, _actor: Admin) -> dict:
        return {"blocked": [_block_out(b) for b in services_of(request).blocklist.entries()]}

    @router.post("/blocklist", response_model=BlockOut, status_code=201, tags=["privacy"],
                 responses=ERROR_RESPONSES, summary="Block a sender (scope admin)")
    def block(body: BlockIn, request: Request, actor: Admin) -> dict:
        return _block_out(services_of(request).blocklist.block(body.kind, body.value, actor))

    @router.delete("/blocklist", status_code=204, tags=["privacy"], responses=ERROR_RESPONSES,
                   summary="Unblock a sender by kind and value (scope admin)")
    def unblock(body: BlockIn, request: Request, actor: Admin) -> None:
        services = services_of(request)
        value = services.blocklist.normal(body.kind, body.value, services.settings.default_phone_region)
        entry = next((b for b in services.blocklist.entries() if (b.kind, b.value) == (body.kind, value)), None)
        if entry is None:
            raise NotFound("that sender is not blocked")
        services.blocklist.unblock(stored_id(entry), actor)

    @router.post("/conversations/{conversation_id}/spam", tags=["conversations"], responses=ERROR_RESPONSES,
                 summary="Move a conversation to Spam, perhaps blocking its sender (scope reply)")
    def mark_spam(conversation_id: Id, request: Request, actor: Replier,
                  body: Optional[SpamIn] = None) -> dict:
        services_of(request).conversations.mark_spam(conversation_id, actor,
                                                     [(b.kind, b.value) for b in (body.block if body else [])])
        return conversation_json(request, conversation_id)

    @router.post("/conversations/{conversation_id}/not-spam", tags=["conversations"], responses=ERROR_RESPONSES,
                 summary="Back to the inbox, open (scope reply)")
    def not_spam(conversation_id: Id, request: Request, actor: Replier,
                 body: Optional[NotSpamIn] = None) -> dict:
        services_of(request).conversations.not_spam(conversation_id, actor, bool(body and body.unblock))
        return conversation_json(request, conversation_id)

    return router


def _block_out(b: Any) -> dict:
    return {"id": b.id, "kind": b.kind, "value": b.value, "created_at": b.created_at, "created_by": b.created_by}
