"""Canned replies with variables:
{{customer.name}}, {{customer.first_name}}, {{agent.name}}, {{conversation.link}}.

A variable with no value renders as a friendly fallback ("there" for a missing
first name) rather than as an empty gap in front of the customer."""

from __future__ import annotations

import re

from sqlmodel import col, select

from helpdesk.models import Agent, CannedReply, Conversation, Customer
from helpdesk.services.base import Actor, Service, audit, require_admin, require_text, writes
from helpdesk.services.links import Links
from helpdesk.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database

VARIABLES = ("customer.name", "customer.first_name", "agent.name", "conversation.link")
_VARIABLE = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}")


def render_template(body: str, values: dict[str, str]) -> str:
    """Replace known variables; unknown ones are left as written so a typo is visible."""
    return _VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), body)


class CannedReplyService(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings, links: Links) -> None:
        super().__init__(db, clock, settings)
        self.links = links

    def list(self, actor: Actor | None = None) -> list[CannedReply]:
        """The team's canned replies and, for an agent, their own; by title."""
        agent_id = actor.agent_id if actor is not None else None
        with self.db.read() as s:
            return [c for c in s.exec(select(CannedReply).order_by(col(CannedReply.title))).all()
                    if c.owner_id is None or c.owner_id == agent_id]

    def create(self, title: str, body: str, actor: Actor, private: bool = False) -> CannedReply:
        """The team's (admins), or with `private` the agent's own (any agent)."""
        self._may_keep(actor, None if not private else actor.agent_id)
        fields: dict[str, str] = {}
        title = require_text(fields, "title", title, 100)
        body = require_text(fields, "body", body, 20_000)
        if fields:
            raise ValidationFailed("the canned reply was not saved", fields)
        return self._insert(title, body, actor, actor.agent_id if private else None)

    @staticmethod
    def _may_keep(actor: Actor, owner_id: int | None) -> None:
        if owner_id is None:
            require_admin(actor, "manage the team's canned replies")
        elif actor.agent_id is None or actor.agent_id != owner_id:
            raise Forbidden("only the agent whose canned reply it is can change it")

    def _owner_of(self, canned_id: int) -> int | None:
        with self.db.read() as s:
            reply = s.get(CannedReply, canned_id)
        if reply is None:
            raise NotFound(f"canned reply {canned_id} not found")
        return reply.owner_id

    @writes
    def _insert(self, title: str, body: str, actor: Actor, owner_id: int | None = None) -> CannedReply:
        now = self.now()
        with self.db.write() as tx:
            if tx.session.exec(select(CannedReply.id).where(CannedReply.title == title)).first() is not None:
                raise Conflict(f"a canned reply called {title!r} already exists", {"title": "already in use"})
            reply = CannedReply(title=title, body=body, created_at=now, updated_at=now, owner_id=owner_id)
            tx.session.add(reply)
            tx.session.flush()
            audit(tx.session, now, actor, "canned.created", canned_id=reply.id, title=title)
            return reply

    def update(self, canned_id: int, title: str, body: str, actor: Actor) -> CannedReply:
        self._may_keep(actor, self._owner_of(canned_id))
        fields: dict[str, str] = {}
        title = require_text(fields, "title", title, 100)
        body = require_text(fields, "body", body, 20_000)
        if fields:
            raise ValidationFailed("the canned reply was not saved", fields)
        return self._update(canned_id, title, body, actor)

    @writes
    def _update(self, canned_id: int, title: str, body: str, actor: Actor) -> CannedReply:
        now = self.now()
        with self.db.write() as tx:
            reply = tx.session.get(CannedReply, canned_id)
            if reply is None:
                raise NotFound(f"canned reply {canned_id} not found")
            clash = tx.session.exec(select(CannedReply.id).where(CannedReply.title == title,
                                                                 CannedReply.id != canned_id)).first()
            if clash is not None:
                raise Conflict(f"a canned reply called {title!r} already exists", {"title": "already in use"})
            reply.title, reply.body, reply.updated_at = title, body, now
            tx.session.add(reply)
            audit(tx.session, now, actor, "canned.updated", canned_id=canned_id)
            return reply

    def delete(self, canned_id: int, actor: Actor) -> None:
        self._may_keep(actor, self._owner_of(canned_id))
        self._delete(canned_id, actor)

    @writes
    def _delete(self, canned_id: int, actor: Actor) -> None:
        with self.db.write() as tx:
            reply = tx.session.get(CannedReply, canned_id)
            if reply is None:
                raise NotFound(f"canned reply {canned_id} not found")
            tx.session.delete(reply)
            audit(tx.session, self.now(), actor, "canned.deleted", canned_id=canned_id, title=reply.title)

    def render(self, body: str, conversation_id: int, agent_id: int | None) -> str:
        """Fill a canned reply's variables for one conversation and agent."""
        with self.db.read() as s:
            conversation = s.get(Conversation, conversation_id)
            if conversation is None:
                raise NotFound(f"conversation {conversation_id} not found")
            customer = s.get(Customer, conversation.customer_id)
            agent = s.get(Agent, agent_id) if agent_id else None
        name = (customer.name if customer else "").strip()
        values = {
            "customer.name": name or "there",
            "customer.first_name": name.split()[0] if name else "there",
            "agent.name": agent.name if agent else "the team",
            "conversation.link": self.links.conversation(conversation.public_token),
        }
        return render_template(body, values)
