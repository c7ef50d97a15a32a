"""Server-side drafts, per agent and conversation, so a reply started on the shop PC
continues on a laptop. Also remembers which conversation the agent was in."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import col, select

from helpdesk import events
from helpdesk.models import Agent, Conversation, Draft
from helpdesk.services.base import Service, writes
from helpdesk.services.conversations import MAX_BODY
from helpdesk.services.errors import NotFound, ValidationFailed


class DraftService(Service):
    @writes
    def save(self, agent_id: int, conversation_id: int, body: str, seen_message_id: int | None = None) -> Draft | None:
        """Save (or, when empty, discard) the agent's draft. `seen_message_id` is the newest
        message the agent had in view; it is kept from the draft's first save on."""
        if len(body) > MAX_BODY:
            raise ValidationFailed("the draft is too long", {"body": f"must be at most {MAX_BODY} characters"})
        now = self.now()
        with self.db.write() as tx:
            s = tx.session
            if s.get(Conversation, conversation_id) is None:
                raise NotFound(f"conversation {conversation_id} not found")
            draft = s.exec(select(Draft).where(Draft.agent_id == agent_id,
                                               Draft.conversation_id == conversation_id)).first()
            if not body.strip():
                if draft is not None:
                    s.delete(draft)
                    tx.emit(events.DRAFT_SAVED, conversation_id, agent_id=agent_id, body="")
                return None
            if draft is None:
                draft = Draft(agent_id=agent_id, conversation_id=conversation_id, body=body,
                              seen_message_id=seen_message_id, updated_at=now)
            elif draft.body != body:
                draft.body = body
                draft.updated_at = now
            else:
                return draft
            s.add(draft)
            tx.emit(events.DRAFT_SAVED, conversation_id, agent_id=agent_id, body=body)
            return draft

    def get(self, agent_id: int, conversation_id: int) -> Draft | None:
        with self.db.read() as s:
            return s.exec(select(Draft).where(Draft.agent_id == agent_id,
                                              Draft.conversation_id == conversation_id)).first()

    @writes
    def discard(self, agent_id: int, conversation_id: int) -> None:
        with self.db.write() as tx:
            tx.session.execute(delete(Draft).where(col(Draft.agent_id) == agent_id,
                                                   col(Draft.conversation_id) == conversation_id))
            tx.emit(events.DRAFT_SAVED, conversation_id, agent_id=agent_id, body="")

    @writes
    def set_location(self, agent_id: int, conversation_id: int | None) -> None:
        """Remember the conversation the agent has open, to resume there on another device."""
        with self.db.write() as tx:
            agent = tx.session.get(Agent, agent_id)
            if agent is None:
                raise NotFound(f"agent {agent_id} not found")
            if agent.last_conversation_id != conversation_id:
                agent.last_conversation_id = conversation_id
                tx.session.add(agent)

    def location(self, agent_id: int) -> int | None:
        with self.db.read() as s:
            agent = s.get(Agent, agent_id)
            return agent.last_conversation_id if agent else None
