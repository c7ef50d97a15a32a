"""Teams: named parts of the shop (Workshop, Sales), each with members, a lead and its own
queue. A conversation belongs to one team or none (its `team_id`), and to an agent or none;
a mailbox, a channel or an intake token may name the team its new conversations go to.
Admins make and change teams; everyone reads them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from helpdesk.events import TEAMS_CHANGED
from helpdesk.models.tables import (AGENTS, API_TOKENS, CHANNELS, CONVERSATIONS, MAILBOXES, TEAM_MEMBERS as MEMBERS,
                                    TEAMS)
from helpdesk.services.base import UNSET, Actor, Service, audit, new_id, require_admin, writes
from helpdesk.services.errors import NotFound, ValidationFailed
from helpdesk.services.sla import SlaService

MAX_NAME = 60
MAX_TEAMS = 100
# The rows that may name a team: a removed team's id is cleared from each (no foreign key:
# migration 0019 says why).
HOLDERS = (CONVERSATIONS, MAILBOXES, CHANNELS, API_TOKENS)
# Where new conversations come from, each with the team they go to.
SOURCES = {"mailbox": MAILBOXES, "channel": CHANNELS, "token": API_TOKENS}




@dataclass(frozen=True)
class Member:
    id: int
    name: str
    email: str


@dataclass(frozen=True)
class TeamView:
    id: int
    name: str
    lead: Member | None
    members: tuple[Member, ...]  # by name

    @property
    def member_ids(self) -> frozenset[int]:
        return frozenset(m.id for m in self.members)


def _read_all(conn: Connection) -> list[TeamView]:
    agents = {r.id: Member(r.id, r.name, r.email) for r in conn.execute(
        select(AGENTS.c.id, AGENTS.c.name, AGENTS.c.email))}
    members: dict[int, list[Member]] = {}
    for team_id, agent_id in conn.execute(select(MEMBERS.c.team_id, MEMBERS.c.agent_id)):
        if agent_id in agents:
            members.setdefault(team_id, []).append(agents[agent_id])
    return [TeamView(r.id, r.name, agents.get(r.lead_id) if r.lead_id is not None else None,
                     tuple(sorted(members.get(r.id, []), key=lambda m: m.name.lower())))
            for r in conn.execute(select(TEAMS.c.id, TEAMS.c.name, TEAMS.c.lead_id).order_by(TEAMS.c.name))]


def team_names(conn: Connection) -> dict[int, str]:
    """Every team's name by id (a few rows): what answers and payloads show for `team_id`."""
    return {r.id: r.name for r in conn.execute(select(TEAMS.c.id, TEAMS.c.name))}


def members_of(conn: Connection, team_id: int) -> set[int]:
    return set(conn.execute(select(MEMBERS.c.agent_id).where(MEMBERS.c.team_id == team_id)).scalars())


class TeamService(Service):
    def __init__(self, *args: Any, sla: SlaService, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sla = sla

    # ---- reading --------------------------------------------------------------------------------

    def all(self) -> list[TeamView]:
        with self.db.read() as s:
            return _read_all(s.connection())

    def get(self, team_id: int) -> TeamView:
        found = next((t for t in self.all() if t.id == team_id), None)
        if found is None:
            raise NotFound(f"team {team_id} not found")
        return found

    def named(self, name: str) -> TeamView | None:
        """The team called `name` (any case, spaces as typed), or None."""
        wanted = " ".join((name or "").split()).lower()
        return next((t for t in self.all() if t.name.lower() == wanted), None)

    def names(self) -> dict[int, str]:
        with self.db.read() as s:
            return team_names(s.connection())

    def of_agent(self, agent_id: int) -> list[TeamView]:
        """The teams an agent is a member of, by name."""
        return [t for t in self.all() if agent_id in t.member_ids]

    def resolve(self, name: str | None, field: str = "team") -> int | None:
        """A team's id from its name (None: no team), or ValidationFailed naming `field`."""
        if name is None or not str(name).strip():
            return None
        team = self.named(str(name))
        if team is None:
            known = ", ".join(t.name for t in self.all()) or "none yet"
            raise ValidationFailed("no such team", {field: f"no team is called {name} (teams: {known})"})
        return team.id

    # ---- changing (admins) ------------------------------------------------------------------------

    def create(self, name: str, members: Iterable[str], actor: Actor | None, lead: str | None = None) -> TeamView:
        """A team named `name` with the agents whose emails are `members`, led by `lead` (an
        email; a lead is always a member)."""
        actor = require_admin(actor, "make teams")
        fields: dict[str, str] = {}
        clean = self._check_name(fields, name, None)
        member_ids, lead_id = self._check_people(fields, list(members), lead)
        if len(self.all()) >= MAX_TEAMS:
            fields["name"] = f"a shop may have at most {MAX_TEAMS} teams"
        if fields:
            raise ValidationFailed("the team was not made", fields)
        return self.get(self._create(clean, member_ids, lead_id, actor))

    def change(self, team_id: int, actor: Actor | None, *, name: Any = UNSET, members: Any = UNSET,
               lead: Any = UNSET) -> TeamView:
        """Rename, set the members (emails), or the lead (an email, or None): what is given changes."""
        actor = require_admin(actor, "change teams")
        current = self.get(team_id)
        fields: dict[str, str] = {}
        clean = self._check_name(fields, name, team_id) if name is not UNSET else current.name
        lead_email = lead if lead is not UNSET else (current.lead.email if current.lead else None)
        member_ids, lead_id = self._check_people(fields, list(members) if members is not UNSET else [], lead_email)
        if members is UNSET:  # as they are (one who has left the shop stays listed until changed)
            member_ids = sorted(current.member_ids | ({lead_id} if lead_id else set()))
        if fields:
            raise ValidationFailed("the team was not changed", fields)
        self._change(team_id, clean, member_ids, lead_id, actor)
        return self.get(team_id)

    def send_new_conversations(self, source: str, source_id: int, team: str | None, actor: Actor | None) -> None:
        """New conversations from a mailbox, a channel (texts, a chat site) or an intake token go to
        `team`'s queue (None: to no team's). Conversations already open stay where they are."""
        actor = require_admin(actor, "route new conversations to a team")
        if source not in SOURCES:
            raise ValidationFailed("unknown source", {"source": "must be mailbox, channel or token"})
        self._route(source, source_id, self.resolve(team), actor)

    def routes(self, source: str) -> dict[int, int]:
        """Which team each mailbox, channel or token (by id) sends new conversations to."""
        table = SOURCES[source]
        with self.db.read() as s:
            return dict(s.execute(select(table.c.id, table.c.team_id).where(table.c.team_id.is_not(None))).all())

    def remove(self, team_id: int, actor: Actor | None) -> TeamView:
        """Remove a team (answered: the team as it was): its conversations stay where they are, in
        no team's queue; mailboxes, channels and tokens that sent theirs to it send them to no team."""
        actor = require_admin(actor, "remove teams")
        team = self.get(team_id)
        kept_own_time = team_id in self.sla.rules().teams
        self._remove(team, actor)
        if kept_own_time:  # its conversations' clocks count in the shop's hours again
            self.sla.refresh()
        return team

    def _check_name(self, fields: dict[str, str], name: Any, team_id: int | None) -> str:
        clean = " ".join(str(name or "").split())
        if not clean:
            fields["name"] = "must not be empty"
        elif len(clean) > MAX_NAME:
            fields["name"] = f"must be at most {MAX_NAME} characters"
        elif (other := self.named(clean)) is not None and other.id != team_id:
            fields["name"] = f"a team called {other.name} exists already"
        return clean

    def _check_people(self, fields: dict[str, str], emails: list[str], lead: str | None) -> tuple[list[int], int | None]:
        with self.db.read() as s:
            active = {r.email.lower(): r.id for r in s.execute(
                select(AGENTS.c.id, AGENTS.c.email).where(AGENTS.c.active.is_(True)))}
        wanted = [str(e).strip().lower() for e in emails if str(e).strip()]
        unknown = [e for e in wanted if e not in active]
        if unknown:
            fields["members"] = f"no active agent has the email {unknown[0]}"
        lead_id = None
        if lead is not None and str(lead).strip():
            lead_id = active.get(str(lead).strip().lower())
            if lead_id is None:
                fields["lead"] = f"no active agent has the email {lead}"
        ids = sorted({active[e] for e in wanted if e in active} | ({lead_id} if lead_id else set()))
        return ids, lead_id

    @writes
    def _create(self, name: str, member_ids: list[int], lead_id: int | None, actor: Actor) -> int:
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            team_id = new_id(conn.execute(insert(TEAMS).values(name=name, lead_id=lead_id, created_at=now,
                                                               updated_at=now)))
            if member_ids:
                conn.execute(insert(MEMBERS), [{"team_id": team_id, "agent_id": a} for a in member_ids])
            audit(conn, now, actor, "team.created", team=name, members=len(member_ids))
            tx.emit(TEAMS_CHANGED, None, team_id=team_id)
        return team_id

    @writes
    def _change(self, team_id: int, name: str, member_ids: list[int], lead_id: int | None, actor: Actor) -> None:
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            conn.execute(update(TEAMS).where(TEAMS.c.id == team_id).values(name=name, lead_id=lead_id, updated_at=now))
            had = members_of(conn, team_id)
            if gone := had - set(member_ids):
                conn.execute(delete(MEMBERS).where(MEMBERS.c.team_id == team_id, MEMBERS.c.agent_id.in_(gone)))
            if added := set(member_ids) - had:
                conn.execute(insert(MEMBERS), [{"team_id": team_id, "agent_id": a} for a in sorted(added)])
            audit(conn, now, actor, "team.changed", team=name, added=len(added), removed=len(gone))
            tx.emit(TEAMS_CHANGED, None, team_id=team_id)

    @writes
    def _route(self, source: str, source_id: int, team_id: int | None, actor: Actor) -> None:
        table = SOURCES[source]
        with self.db.write() as tx:
            conn = tx.session.connection()
            if conn.execute(update(table).where(table.c.id == source_id).values(team_id=team_id)).rowcount == 0:
                raise NotFound(f"{source} {source_id} not found")
            audit(conn, self.now(), actor, "team.routed", source=source, source_id=source_id, team_id=team_id)
            tx.emit(TEAMS_CHANGED, None, team_id=team_id)

    @writes
    def _remove(self, team: TeamView, actor: Actor) -> None:
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            for table in HOLDERS:
                conn.execute(update(table).where(table.c.team_id == team.id).values(team_id=None))
            conn.execute(delete(MEMBERS).where(MEMBERS.c.team_id == team.id))
            conn.execute(delete(TEAMS).where(TEAMS.c.id == team.id))
            audit(conn, now, actor, "team.removed", team=team.name)
            tx.emit(TEAMS_CHANGED, None, team_id=team.id)
