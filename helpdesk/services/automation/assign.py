"""Who gets a conversation: agents who are available (not away, and inside their hours when
they keep any), in turn (round-robin) or the one with the fewest open conversations
(least-busy), never past a cap. A conversation that has an assignee keeps them: when the
customer comes back, the same person picks it up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from helpdesk.models import OPEN
from helpdesk.models.tables import AGENTS as AGENT, CONVERSATIONS as C, TEAMS
from helpdesk.services.calendar import BusinessCalendar
from helpdesk.services.teams import members_of



def is_available(agent: Any, now: datetime, shop: BusinessCalendar) -> bool:
    """Active, not away, and inside their hours if they keep any ({"shop": true}: the shop's)."""
    if not agent.active or agent.away:
        return False
    hours = agent.hours
    if not hours:
        return True
    calendar = shop if hours.get("shop") else BusinessCalendar.from_json(hours)
    return calendar.is_working(now)


def availability_words(agent: Any, now: datetime, shop: BusinessCalendar) -> str:
    """'Available', 'Away', or 'Away (outside their hours)', for the settings and the account menu."""
    if agent.away:
        return "Away"
    return "Available" if is_available(agent, now, shop) else "Away (outside their hours)"


@dataclass(frozen=True)
class Choice:
    agent_id: int | None
    name: str = ""
    why_not: str = ""  # when nobody: in words, for the rule's history


def team_named(conn: Connection, name: str) -> tuple[int, str] | None:
    """(id, name) of the team called `name`, in any case."""
    wanted = " ".join(name.split()).lower()
    return next(((r.id, r.name) for r in conn.execute(select(TEAMS.c.id, TEAMS.c.name))
                 if r.name.lower() == wanted), None)


def choose(conn: Connection, action: dict[str, Any], last: int | None, now: datetime, shop: BusinessCalendar,
           team_id: int | None = None) -> Choice:
    """The agent an assign action gives the conversation to (`last`: whom this rule chose before;
    `team_id`: only among that team's members)."""
    rows = conn.execute(select(AGENT.c.id, AGENT.c.name, AGENT.c.email, AGENT.c.active, AGENT.c.away, AGENT.c.hours)
                        .order_by(AGENT.c.id)).all()
    to = action["to"]
    if to not in ("round_robin", "least_busy"):  # one named person: theirs whether or not they are in
        agent = next((a for a in rows if a.email == to and a.active), None)
        return Choice(agent.id, agent.name) if agent else Choice(None, why_not=f"no active agent has the email {to}")
    chosen = set(action.get("agents") or [])
    pool = [a for a in rows if a.active and (not chosen or a.email in chosen)]
    if team_id is not None:
        members = members_of(conn, team_id)
        pool = [a for a in pool if a.id in members]
        if not pool:
            return Choice(None, why_not=f"{action.get('team', 'the team')} has no active member to give it to")
    if not pool:
        return Choice(None, why_not="none of the chosen agents is active")
    free = [a for a in pool if is_available(a, now, shop)]
    if not free:
        return Choice(None, why_not="no agent is available (all away or outside their hours)")
    cap = action.get("cap")
    load: dict[int, int] = dict(conn.execute(select(C.c.assignee_id, func.count()).where(
        C.c.status == OPEN, C.c.assignee_id.in_([a.id for a in free])).group_by(C.c.assignee_id)).all()) \
        if cap or to == "least_busy" else {}
    if cap:
        free = [a for a in free if load.get(a.id, 0) < cap]
        if not free:
            return Choice(None, why_not=f"every available agent has {cap} open conversations already")
    # In turn: the first after the one chosen last time, going round.
    ordered = [a for a in free if last is None or a.id > last] + [a for a in free if last is not None and a.id <= last]
    if to == "least_busy":
        ordered.sort(key=lambda a: load.get(a.id, 0))  # stable: ties keep their turn
    return Choice(ordered[0].id, ordered[0].name)
