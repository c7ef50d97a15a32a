"""The agent/bot API (scope reply to write, read to read): what a website bot, an order
system or a LAN script needs to answer customers like an agent does, leave notes, change a
conversation, hand it to people, read what is new, and follow events by long polling."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Annotated, Any, Optional

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse

from helpdesk.events import OUTBOX_ENQUEUED
from helpdesk.api.bodies import discard, multipart_schema, read_body
from helpdesk.api.files import file_response
from helpdesk.api.schemas import (MAX_ID, ConversationOut, ConversationWithMessages, EventsOut, HandoffIn, MergeIn, MessagesOut, NoteIn, PatchIn,
                                  ReplyIn, TokenOut, WrittenOut, messages_out)
from helpdesk.api.v1 import ERROR_RESPONSES, conversation_json, require_token, scoped, services_of
from helpdesk.services.base import Actor
from helpdesk.services.conversations import UNSET, Written

ConversationId = Annotated[int, Path(ge=1, le=MAX_ID)]
MAX_WAIT = 30  # seconds a long poll may hold the connection


def written_json(written: Written) -> dict:
    delivery = written.delivery
    return {"message_id": written.message_id, "conversation_status": written.conversation_status,
            "delivery": {"channel": delivery.channel, "status": delivery.status, "error": delivery.error}
            if delivery else None}


class EventWaiters:
    """Long polls waiting for the next outbox event, woken from whichever thread committed it."""

    def __init__(self) -> None:
        self._waiting: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._lock = threading.Lock()

    def wake(self, _event: Any = None) -> None:
        with self._lock:
            waiting = list(self._waiting)
        for loop, flag in waiting:
            loop.call_soon_threadsafe(flag.set)

    async def wait(self, seconds: float) -> None:
        flag = asyncio.Event()
        entry = (asyncio.get_running_loop(), flag)
        with self._lock:
            self._waiting.add(entry)
        try:
            with contextlib.suppress(asyncio.TimeoutError):  # nothing new in time: the poll answers empty
                await asyncio.wait_for(flag.wait(), seconds)
        finally:
            with self._lock:
                self._waiting.discard(entry)


def build_router(services) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["agents and bots"], responses=ERROR_RESPONSES)
    waiters = EventWaiters()
    services.events.subscribe(waiters.wake, types={OUTBOX_ENQUEUED})

    @router.get("/token", response_model=TokenOut, summary="The token making the request (any scope)",
                description="Who you are: a bot uses its id to recognise conversations it answers first "
                            "(`bot_token_id` in events).")
    def token(request: Request, actor: Annotated[Actor, Depends(require_token)]) -> dict:
        found = next(t for t in services_of(request).tokens.list() if t.id == actor.id)
        return {"id": found.id, "name": found.name, "scopes": found.scopes.split(","),
                "first_responder": found.first_responder}

    @router.post("/conversations/{conversation_id}/replies", status_code=201, response_model=WrittenOut,
                 summary="Answer the customer (scope reply)", openapi_extra=multipart_schema(ReplyIn),
                 responses={200: {"description": "idempotent replay", "model": WrittenOut}},
                 description="Goes out over the conversation's channel exactly as an agent's reply would; "
                             "`delivery` says how (queued while the channel is down, then sent). A person's "
                             "reply on a conversation a bot answers first takes it over.")
    async def reply(conversation_id: ConversationId, request: Request,
                    actor: Annotated[Actor, Depends(scoped("reply"))]) -> JSONResponse:
        services = services_of(request)
        payload, files = await read_body(request, services, ReplyIn)
        try:
            before = await services.db.run_read(services.conversations.get_row, conversation_id)
            written = await services.db.run_write(services.conversations.reply, conversation_id, actor, payload.body,
                                                  payload.then, files=files, idempotency_key=payload.idempotency_key,
                                                  via=payload.via, choices=payload.choices)
        except BaseException:
            await discard(services, files)
            raise
        replayed = payload.idempotency_key is not None and before.last_message_id is not None \
            and written.message_id <= before.last_message_id
        return JSONResponse(written_json(written), status_code=200 if replayed else 201)

    @router.post("/conversations/{conversation_id}/notes", status_code=201, response_model=WrittenOut,
                 summary="Leave an internal note (scope reply)", openapi_extra=multipart_schema(NoteIn),
                 description="Never shown to the customer; changes no status.")
    async def note(conversation_id: ConversationId, request: Request,
                   actor: Annotated[Actor, Depends(scoped("reply"))]) -> JSONResponse:
        services = services_of(request)
        payload, files = await read_body(request, services, NoteIn)
        try:
            written = await services.db.run_write(services.conversations.add_note, conversation_id, actor,
                                                  payload.body, files=files)
        except BaseException:
            await discard(services, files)
            raise
        return JSONResponse(written_json(written), status_code=201)

    @router.patch("/conversations/{conversation_id}", response_model=ConversationOut,
                  summary="Change status, team, assignee, priority or tags (scope reply)",
                  description="All given fields change together, or none does (422 names the field).")
    async def patch(conversation_id: ConversationId, payload: PatchIn, request: Request,
                    actor: Annotated[Actor, Depends(scoped("reply"))]) -> dict:
        services = services_of(request)
        given = payload.model_fields_set
        await services.db.run_write(
            services.conversations.update, conversation_id, actor, status=payload.status,
            snooze_until=payload.snoozed_until, priority=payload.priority, tags=payload.tags,
            assignee_email=payload.assignee_email if "assignee_email" in given else UNSET,
            team=payload.team if "team" in given else UNSET)
        return await services.db.run_read(conversation_json, request, conversation_id)

    @router.post("/conversations/{conversation_id}/handoff", response_model=ConversationOut,
                 summary="Hand the conversation to people (scope reply)",
                 description="Afterwards it is open, waiting on people; the reason is written in the thread "
                             "(\"Order bot handed over: <reason>\") and the team's response clocks start.")
    async def handoff(conversation_id: ConversationId, payload: HandoffIn, request: Request,
                      actor: Annotated[Actor, Depends(scoped("reply"))]) -> dict:
        services = services_of(request)
        await services.db.run_write(services.conversations.handoff, conversation_id, actor, payload.reason)
        return await services.db.run_read(conversation_json, request, conversation_id)

    @router.post("/conversations/{conversation_id}/merge", response_model=ConversationWithMessages,
                 summary="Merge this conversation into another of the same customer (scope reply)",
                 description="Its messages, notes and events move into `into`, which records it in its thread; "
                             "this one is resolved with `merged_into` set, and its customer link leads there. "
                             "Answers with the kept conversation. 409 when they are different customers' or one "
                             "was merged already.")
    async def merge(conversation_id: ConversationId, payload: MergeIn, request: Request,
                    actor: Annotated[Actor, Depends(scoped("reply"))]) -> dict:
        services = services_of(request)
        await services.db.run_write(services.conversations.merge, conversation_id, payload.into, actor)
        return await services.db.run_read(conversation_json, request, payload.into)

    @router.get("/conversations/{conversation_id}/messages", response_model=MessagesOut,
                summary="Messages after one you have seen (scope read)")
    def messages(conversation_id: ConversationId, request: Request,
                 _actor: Annotated[Actor, Depends(scoped("read"))],
                 after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
                 include_notes: bool = False) -> dict:
        detail = services_of(request).conversations.messages_after(conversation_id, after, include_notes)
        return {"conversation_id": conversation_id, "conversation_status": detail.conversation.status,
                "messages": messages_out(detail)}

    @router.get("/events", response_model=EventsOut, summary="Events, long-polled (scope read)",
                description="The same events webhooks receive, with the same ids: message.received, "
                            "message.created, sla.breached, conversation.handoff, rule.fired, payment.requested, "
                            "payment.paid, payment.cancelled, note.mention. Pass `after` from the last "
                            "answer's `next`; with `wait`, the request is held up to that many seconds until "
                            "something happens. Without `after`, events from now on.")
    async def events(request: Request, _actor: Annotated[Actor, Depends(scoped("read"))],
                     after: Annotated[Optional[str], Query(max_length=20, pattern=r"^\d+$")] = None,
                     wait: Annotated[int, Query(ge=0, le=MAX_WAIT)] = 0) -> dict:
        outbox = services_of(request).outbox
        db = services_of(request).db
        # A cursor past any event there can be simply has nothing after it (and fits the column).
        cursor = min(int(after), MAX_ID) if after is not None else await db.run_read(outbox.last_event_number)
        rows = await db.run_read(outbox.events_after, cursor)
        if not rows and wait:
            await waiters.wait(wait)
            rows = await db.run_read(outbox.events_after, cursor)
        return {"events": [{"id": r.event_id, "type": r.type, "created_at": r.created_at.isoformat(), "data": r.payload}
                           for r in rows], "next": str(rows[-1].id if rows else cursor)}

    @router.get("/attachments/{attachment_id}", summary="Download a file (scope read)", response_class=FileResponse,
                responses={200: {"content": {"application/octet-stream": {}}, "description": "the file"}})
    def attachment(attachment_id: Annotated[int, Path(ge=1, le=MAX_ID)], request: Request,
                   _actor: Annotated[Actor, Depends(scoped("read"))]):
        services = services_of(request)
        return file_response(services.files, services.files.get(attachment_id))

    return router
