"""Macros through the API: the team's shared macros listed (scope read) and one run on a
conversation (scope reply), as an agent runs it from the reply box."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from helpdesk.api.schemas import MAX_ID, ConversationWithMessages
from helpdesk.api.v1 import ERROR_RESPONSES, conversation_json, scoped, services_of
from helpdesk.services.base import Actor
from helpdesk.services.macros import describe

Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class MacroOut(BaseModel):
    id: int
    name: str
    description: str = Field(description="what it does, in words")
    actions: list[dict[str, Any]] = Field(description="in order: reply, note, add_tags, priority, team, assign, "
                                                      "status, snooze (docs/teamwork.md)")


class MacrosOut(BaseModel):
    macros: list[MacroOut]


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["macros"])

    @router.get("/macros", response_model=MacrosOut, responses=ERROR_RESPONSES,
                summary="The team's shared macros (scope read)")
    def macros(request: Request, actor: Annotated[Actor, Depends(scoped("read"))]) -> dict[str, Any]:
        return {"macros": [{"id": m.id, "name": m.name, "description": describe(m.actions), "actions": m.actions}
                           for m in services_of(request).macros.visible_to(actor)]}

    @router.post("/conversations/{conversation_id}/macros/{macro_id}", response_model=ConversationWithMessages,
                 responses=ERROR_RESPONSES, summary="Run a macro on a conversation (scope reply)",
                 description="Everything the macro does happens together, or nothing does (422 names the action "
                             "that cannot be done); the thread says \"Macro 'Bike ready for pick-up' by <token's "
                             "name>\". Answers with the conversation as it is after.")
    def run_macro(conversation_id: Id, macro_id: Id, request: Request,
                  actor: Annotated[Actor, Depends(scoped("reply"))]) -> dict[str, Any]:
        services_of(request).macros.run(macro_id, conversation_id, actor)
        return conversation_json(request, conversation_id)

    return router
