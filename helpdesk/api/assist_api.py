"""Assist for bots (scope reply): the similar solved conversations and the best canned replies for
a conversation, and a suggested reply from the shop's language model, the same help agents get."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Optional

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel

from helpdesk.api.schemas import MAX_ID
from helpdesk.api.v1 import ERROR_RESPONSES, scoped, services_of
from helpdesk.services.base import Actor

ConversationId = Annotated[int, Path(ge=1, le=MAX_ID)]


class SolvedOut(BaseModel):
    conversation_id: int
    subject: str
    resolved_at: Optional[datetime]
    rating: Optional[int]
    came_back: bool
    outcome: str
    score: float
    shared_words: list[str]
    question: str
    reply_message_id: Optional[int]
    reply: str


class CannedOut(BaseModel):
    id: int
    title: str
    body: str  # with the conversation's variables filled
    score: float


class SimilarOut(BaseModel):
    similar: list[SolvedOut]
    canned: list[CannedOut]


class DraftOut(BaseModel):
    draft: str
    model: str
    similar: list[int]  # the solved conversations the model was shown
    chars_sent: int


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["agents and bots"], responses=ERROR_RESPONSES)

    @router.get("/conversations/{conversation_id}/similar", response_model=SimilarOut,
                summary="Similar solved conversations and canned replies (scope reply)",
                description="From the shop's own history, no model: the resolved conversations most like this "
                            "one (shared words, recency, a good outcome), each with the reply that solved it, and "
                            "the canned replies that fit it best.")
    def similar(conversation_id: ConversationId, request: Request,
                actor: Annotated[Actor, Depends(scoped("reply"))],
                limit: Annotated[int, Query(ge=1, le=20)] = 5) -> dict:
        assist = services_of(request).assist
        found = assist.similar(conversation_id, limit, actor)
        canned = assist.suggestions(conversation_id, found, agent_id=None)
        return {"similar": [{"conversation_id": s.conversation_id, "subject": s.subject, "resolved_at": s.resolved_at,
                             "rating": s.rating, "came_back": s.came_back, "outcome": s.outcome, "score": s.score,
                             "shared_words": list(s.shared), "question": s.question,
                             "reply_message_id": s.reply_id, "reply": s.reply} for s in found],
                "canned": [{"id": c.canned_id, "title": c.title, "body": c.body, "score": c.score} for c in canned]}

    @router.post("/conversations/{conversation_id}/draft", response_model=DraftOut,
                 summary="A suggested reply from the shop's language model (scope reply)",
                 description="Nothing is sent to the customer. 409 while no model is set up (Settings › Assist); "
                             "503 when the model is down or too slow. What the model was sent is masked as the "
                             "owner chose, and the use is logged.")
    async def draft(conversation_id: ConversationId, request: Request,
                    actor: Annotated[Actor, Depends(scoped("reply"))]) -> dict:
        made = await asyncio.to_thread(services_of(request).assist.draft, conversation_id, actor)
        return {"draft": made.text, "model": made.model, "similar": made.similar, "chars_sent": made.chars_sent}

    return router
