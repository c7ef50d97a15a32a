"""Teams (scope admin): named parts of the shop with their own queues, members given by email.
A team may keep its own business hours and response targets (a workshop that opens at 8).
A conversation's team is in every conversation answer and changes with
`PATCH /api/v1/conversations/{id}` (`{"team": "Workshop"}`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from helpdesk.api.schemas import MAX_ID
from helpdesk.api.v1 import ERROR_RESPONSES, scoped, services_of
from helpdesk.services.base import Actor
from helpdesk.services.calendar import parse_schedule
from helpdesk.services.sla import Policy, TeamTime
from helpdesk.services.teams import UNSET, TeamView

TeamId = Annotated[int, Path(ge=1, le=MAX_ID)]
Admin = Annotated[Actor, Depends(scoped("admin"))]
Email = Annotated[StrictStr, Field(max_length=254)]


class MemberOut(BaseModel):
    id: int
    name: str
    email: str


class TargetsIn(BaseModel):
    """One priority's response targets, in minutes (as Settings › Response targets)."""

    model_config = ConfigDict(extra="forbid")
    first_response_minutes: StrictInt = Field(ge=1, le=525600)
    next_response_minutes: StrictInt = Field(ge=1, le=525600)
    resolution_minutes: StrictInt = Field(ge=1, le=525600)
    business_hours: StrictBool = Field(True, description="count only the team's business hours")


Priority = Literal["urgent", "high", "normal", "low"]
HOURS_DESCRIPTION = ("its own business hours, as `{\"timezone\": \"Europe/Berlin\", \"hours\": {\"mon\": "
                     "[[\"08:00\", \"17:00\"]], …}, \"holidays\": [\"2026-12-24\"]}`; null: the shop's")
TARGETS_DESCRIPTION = "its own targets by priority (a priority left out keeps the shop's); null: the shop's"


class TeamOut(BaseModel):
    id: int
    name: str
    lead: Optional[MemberOut] = Field(description="who leads it (a member), if anyone")
    members: list[MemberOut]
    hours: Optional[dict[str, Any]] = Field(None, description=HOURS_DESCRIPTION)
    targets: Optional[dict[Priority, TargetsIn]] = Field(None, description=TARGETS_DESCRIPTION)


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
    hours: Optional[dict[str, Any]] = Field(None, description=HOURS_DESCRIPTION)
    targets: Optional[dict[Priority, TargetsIn]] = Field(None, description=TARGETS_DESCRIPTION)


def team_out(team: TeamView, own: TeamTime) -> dict[str, Any]:
    return {"id": team.id, "name": team.name, "lead": team.lead.__dict__ if team.lead else None,
            "members": [m.__dict__ for m in team.members],
            "hours": own.calendar.to_json() if own.calendar is not None else None,
            "targets": {p.priority: {"first_response_minutes": p.first_response_minutes,
                                     "next_response_minutes": p.next_response_minutes,
                                     "resolution_minutes": p.resolution_minutes, "business_hours": p.business_hours}
                        for p in own.policies.values()} or None}


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["teams"])

    @router.get("/teams", response_model=TeamsOut, responses=ERROR_RESPONSES,
                summary="Every team with its members and lead (scope admin)")
    def teams(request: Request, _actor: Admin) -> dict[str, Any]:
        services = services_of(request)
        times = services.sla.team_times()
        return {"teams": [team_out(t, times.get(t.id, TeamTime())) for t in services.teams.all()]}

    @router.post("/teams", response_model=TeamOut, status_code=201, responses=ERROR_RESPONSES,
                 summary="Make a team (scope admin)",
                 description="422 names the field: an empty or taken name, an email no active agent has.")
    def make_team(body: TeamIn, request: Request, actor: Admin) -> dict[str, Any]:
        services = services_of(request)
        team = services.teams.create(body.name, body.members, actor, lead=body.lead)
        return team_out(team, services.sla.team_time(team.id))

    @router.patch("/teams/{team_id}", response_model=TeamOut, responses=ERROR_RESPONSES,
                  summary="Rename a team, set its members, lead, business hours or targets (scope admin)")
    def change_team(team_id: TeamId, body: TeamPatch, request: Request, actor: Admin) -> dict[str, Any]:
        given = body.model_fields_set
        if "name" in given and body.name is None:
            given = given - {"name"}  # a name cannot be null: as if left out
        services = services_of(request)
        hours = parse_schedule(body.hours) if body.hours is not None else None  # checked before anything changes
        team = services.teams.change(
            team_id, actor, name=body.name if "name" in given else UNSET,
            members=body.members if "members" in given and body.members is not None else UNSET,
            lead=body.lead if "lead" in given else UNSET)
        if "hours" in given:
            services.sla.set_team_hours(team_id, hours, actor)
        if "targets" in given:
            services.sla.set_team_targets(team_id, [Policy(p, t.first_response_minutes, t.next_response_minutes,
                                                           t.resolution_minutes, t.business_hours)
                                                    for p, t in (body.targets or {}).items()], actor)
        return team_out(team, services.sla.team_time(team_id))

    return router
