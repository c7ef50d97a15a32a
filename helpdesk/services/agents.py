"""Agents (staff accounts) and their passwords (argon2)."""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete
from sqlmodel import col, func, select

from helpdesk import events
from helpdesk.models import Agent, AgentSession
from helpdesk.services.base import Actor, Service, audit, require_admin, require_text, sha256_hex, writes
from helpdesk.services.customers import normalize_email
from helpdesk.services.errors import Conflict, NotFound, ValidationFailed

AGENT_ROLES = ("admin", "agent")
MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verifying against this when the email is unknown keeps timing the same either way. Made
    on first use, not at import: an argon2 hash costs ~0.2 s of every start otherwise."""
    return _hasher.hash("not a real password")


def warm_up_sign_in() -> None:
    """Make the dummy hash beside the server's start rather than in its way (argon2 releases
    the GIL), so even the first sign-in with an unknown email takes as long as any other;
    commands that sign nobody in never make it."""
    threading.Thread(target=_dummy_hash, name="argon2-warm-up", daemon=True).start()


def _check_password(fields: dict[str, str], password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        fields["password"] = f"must be at least {MIN_PASSWORD_LENGTH} characters"
    elif len(password) > 1024:
        fields["password"] = "must be at most 1024 characters"


def end_sessions(session: Any, agent_id: int, keep_hash: str | None = None) -> int:
    """Delete an agent's sessions, but the one kept (the device that asked); returns how many ended."""
    where = [col(AgentSession.agent_id) == agent_id]
    if keep_hash:
        where.append(col(AgentSession.token_hash) != keep_hash)
    return session.execute(delete(AgentSession).where(*where)).rowcount or 0


class AgentService(Service):
    def create(self, email: str, name: str, password: str, role: str = "agent", *, actor: Actor) -> Agent:
        """A new account (admins only). The password is hashed before the write, off the writer thread."""
        require_admin(actor, "add agents")
        fields: dict[str, str] = {}
        clean_email = normalize_email(email or "")
        if clean_email is None:
            fields["email"] = "must be an email address like ann@example.com"
        clean_name = require_text(fields, "name", name, 120)
        _check_password(fields, password or "")
        if role not in AGENT_ROLES:
            fields["role"] = "must be admin or agent"
        if fields or clean_email is None:
            raise ValidationFailed("the agent could not be created", fields)
        return self._insert(clean_email, clean_name, _hasher.hash(password), role, actor)

    @writes
    def _insert(self, clean_email: str, clean_name: str, password_hash: str, role: str, actor: Actor) -> Agent:
        with self.db.write() as tx:
            exists = tx.session.exec(select(Agent.id).where(Agent.email == clean_email)).first()
            if exists is not None:
                raise Conflict(f"an agent with email {clean_email} already exists", {"email": "already in use"})
            agent = Agent(email=clean_email, name=clean_name, password_hash=password_hash, role=role,
                          created_at=self.now())
            tx.session.add(agent)
            tx.session.flush()
            audit(tx.session, self.now(), actor, "agent.created", agent_id=agent.id, role=role)
            return agent

    def authenticate(self, email: str, password: str) -> Agent | None:
        """The active agent with these credentials, or None (never says which part was wrong)."""
        clean_email = normalize_email(email or "") or ""
        with self.db.read() as session:
            agent = session.exec(select(Agent).where(Agent.email == clean_email)).first()
        try:
            if agent is None or not agent.active:
                _hasher.verify(_dummy_hash(), password or "x")
                return None
            _hasher.verify(agent.password_hash, password or "")
        except (VerificationError, InvalidHashError):
            return None
        return agent

    def get(self, agent_id: int) -> Agent:
        with self.db.read() as session:
            agent = session.get(Agent, agent_id)
            if agent is None:
                raise NotFound(f"agent {agent_id} not found")
            return agent

    def list(self, include_inactive: bool = True) -> list[Agent]:
        with self.db.read() as session:
            query = select(Agent).order_by(col(Agent.name))
            if not include_inactive:
                query = query.where(col(Agent.active).is_(True))
            return list(session.exec(query).all())

    def count(self) -> int:
        with self.db.read() as session:
            return session.exec(select(func.count()).select_from(Agent)).one()

    def set_active(self, agent_id: int, active: bool, actor: Actor) -> Agent:
        require_admin(actor, "activate or deactivate agents")
        return self._set_active(agent_id, active, actor)

    @writes
    def _set_active(self, agent_id: int, active: bool, actor: Actor) -> Agent:
        with self.db.write() as tx:
            agent = tx.session.get(Agent, agent_id)
            if agent is None:
                raise NotFound(f"agent {agent_id} not found")
            if not active and agent.role == "admin":
                admins = tx.session.exec(select(func.count()).select_from(Agent).where(
                    Agent.role == "admin", col(Agent.active).is_(True))).one()
                if admins <= 1:
                    raise Conflict("the last active admin cannot be deactivated")
            agent.active = active
            tx.session.add(agent)
            audit(tx.session, self.now(), actor, "agent.activated" if active else "agent.deactivated",
                  agent_id=agent_id)
            return agent

    def set_away(self, agent_id: int, away: bool, actor: Actor) -> Agent:
        """Away (automatic assignment passes them by) or available: an agent for themselves, an admin for anyone."""
        if actor.agent_id != agent_id:
            require_admin(actor, "set another agent away")
        return self._set_availability(agent_id, actor, away=bool(away))

    def set_mention_mail(self, agent_id: int, wanted: bool, actor: Actor) -> Agent:
        """Whether a mention that finds the agent away also reaches them by mail: their own choice
        (an admin may set it for them)."""
        if actor.agent_id != agent_id:
            require_admin(actor, "change another agent's mail")
        return self._set_availability(agent_id, actor, mention_mail=bool(wanted))

    def set_hours(self, agent_id: int, hours: dict[str, Any] | None, actor: Actor) -> Agent:
        """Working hours, outside which the agent counts as away: {"shop": True} for the shop's
        business hours, a calendar (BusinessCalendar.to_json) of their own, or None for none."""
        if actor.agent_id != agent_id:
            require_admin(actor, "change another agent's hours")
        if hours is not None and not hours.get("shop"):
            from helpdesk.services.calendar import parse_schedule

            hours = parse_schedule(hours).to_json()
        return self._set_availability(agent_id, actor, hours={"shop": True} if hours and hours.get("shop") else hours)

    @writes
    def _set_availability(self, agent_id: int, actor: Actor, **changes: object) -> Agent:
        with self.db.write() as tx:
            agent = tx.session.get(Agent, agent_id)
            if agent is None:
                raise NotFound(f"agent {agent_id} not found")
            for name, value in changes.items():
                setattr(agent, name, value)
            tx.session.add(agent)
            audit(tx.session, self.now(), actor, "agent.availability", None, agent_id=agent_id, **changes)
            tx.emit(events.AGENT_AVAILABILITY, None, agent_id=agent_id)
            return agent

    def reset_password(self, agent_id: int, password: str, actor: Actor, keep_token: str | None = None) -> None:
        """An admin sets anyone's password; an agent only their own. Every session of the agent
        ends, but the device that changed it (`keep_token`, its session token)."""
        if actor.agent_id != agent_id:
            require_admin(actor, "reset another agent's password")
        fields: dict[str, str] = {}
        _check_password(fields, password or "")
        if fields:
            raise ValidationFailed("the password was not changed", fields)
        self._set_password(agent_id, _hasher.hash(password), actor, sha256_hex(keep_token) if keep_token else None)

    @writes
    def _set_password(self, agent_id: int, password_hash: str, actor: Actor, keep_hash: str | None = None) -> None:
        with self.db.write() as tx:
            agent = tx.session.get(Agent, agent_id)
            if agent is None:
                raise NotFound(f"agent {agent_id} not found")
            agent.password_hash = password_hash
            tx.session.add(agent)
            ended = end_sessions(tx.session, agent_id, keep_hash)
            audit(tx.session, self.now(), actor, "agent.password_reset", agent_id=agent_id, sessions_ended=ended)
            tx.emit(events.SESSIONS_ENDED, None, agent_id=agent_id)
