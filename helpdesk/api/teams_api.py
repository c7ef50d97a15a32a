"""Teams (scope admin): named parts of the shop with their own queues, members given by email.
A conversation's team is in every conversation answer and changes with
`PATCH /api/v1/conversations/{id}` (`{"team": "Workshop"}`)."""

from __future__ import annotations

from typing import Annotated, Any, Optional

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from helpdesk.api.schemas import MAX_ID
from helpdesk.api.v1 import ERROR_RESPONSES, scoped, services_of
from helpdesk.services.base import Actor
from helpdesk.services.teams import UNSET, TeamView

TeamId = Annotated[int, Path(ge=1, le=MAX_ID)]
Admin = Annotated[Actor, Depends(scoped("admin"))]
Email = Annotated[StrictStr, Field(max_length=254)]


class MemberOut(BaseModel):
    id: int
    name: str
    email: str


class TeamOut(BaseModel):
    id: int
    name: str
    lead: Optional[MemberOut] = Field(description="who leads it (a member), if anyone")
    members: list[MemberOut]


class TeamsOut(BaseModel):
    teams: list[TeamOut]


class TeamIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "Workshop", "members": ["tom@bikeshop.example", "ann@bikeshop.example"],
        "lead": "tom@bikeshop.example"}]})
    name: StrictStr = Field(max_length=60)
    members: list[Email] = Field(default_factory=list, max_length=500, description="active agents' emails")
    lead: Optional[Email] = Field(None, description="a member's email (added as a member if not listed)")


class TeamPatch(BaseModel):
    """Any of these; what is left out stays as it is."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"members": ["tom@bikeshop.example"]}]})
    name: Optional[StrictStr] = Field(None, max_length=60)
    members: Optional[list[Email]] = Field(None, max_length=500, description="the whole list: who is not in it leaves")
    lead: Optional[Email] = Field(None, description="a member's email, or null for no lead")


def team_out(team: TeamView) -> dict[str, Any]:
    return {"id": team.id, "name": team.name, "lead": team.lead.__dict__ if team.lead else None,
            "members": [m.__dict__ for m in team.members]}


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["teams"])

    @router.get("/teams", response_model=TeamsOut, responses=ERROR_RESPONSES,
                summary="Every team with its members and lead (scope admin)")
    def teams(request: Request, _actor: Admin) -> dict[str, Any]:
        return {"teams": [team_out(t) for t in services_of(request).teams.all()]}

    @router.post("/teams", response_model=TeamOut, status_code=201, responses=ERROR_RESPONSES,
                 summary="Make a team (scope admin)",
                 description="422 names the field: an empty or taken name, an email no active agent has.")
    def make_team(body: TeamIn, request: Request, actor: Admin) -> dict[str, Any]:
        return team_out(services_of(request).teams.create(body.name, body.members, actor, lead=body.lead))

    @router.patch("/teams/{team_id}", response_model=TeamOut, responses=ERROR_RESPONSES,
                  summary="Rename a team, set its members or its lead (scope admin)")
    def change_team(team_id: TeamId, body: TeamPatch, request: Request, actor: Admin) -> dict[str, Any]:
        given = body.model_fields_set
        if "name" in given and body.name is None:
            given = given - {"name"}  # a name cannot be null: as if left out
        return team_out(services_of(request).teams.change(
            team_id, actor, name=body.name if "name" in given else UNSET,
            members=body.members if "members" in given and body.members is not None else UNSET,
            lead=body.lead if "lead" in given else UNSET))

    return router
