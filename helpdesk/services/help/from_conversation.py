"""A help article's first draft from a conversation that went well: the customer's question
and the team's answer, with what identifies the customer masked for an agent to review
(services/help/masking.py) and the agent's sign-off left out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from helpdesk.models import IN, OUT, REPLY
from helpdesk.models.help import MAX_TITLE
from helpdesk.models.tables import AGENTS, CONVERSATIONS, CUSTOMERS, MESSAGES
from helpdesk.services.errors import NotFound, ValidationFailed
from helpdesk.services.help.masking import mask


@dataclass(frozen=True)
class DraftText:
    title: str
    body: str
    masked: int  # pieces of personal data masked for review


def draft_from_conversation(conn: Connection, conversation_id: int, message_id: int | None) -> DraftText:
    """The question and the answer (`message_id`, else the last reply), masked; the title is the
    subject, else the question's first sentence."""
    conversation = conn.execute(select(CONVERSATIONS.c.subject, CUSTOMERS.c.name)
                                .join(CUSTOMERS, CUSTOMERS.c.id == CONVERSATIONS.c.customer_id)
                                .where(CONVERSATIONS.c.id == conversation_id)).first()
    if conversation is None:
        raise NotFound(f"conversation {conversation_id} not found")
    answer, question = _question_and_answer(conn, conversation_id, message_id)
    if answer is None:
        raise ValidationFailed("nothing to save", {"message_id": "the conversation has no reply to save yet"})
    agents = conn.execute(select(AGENTS.c.name)).scalars().all()
    names = (conversation.name or "",)
    masked_question = mask(question or "", names)
    masked_answer = mask(_without_signature(answer, agents), names)
    title = " ".join((conversation.subject or "").split()) or _first_sentence(masked_question.text) or "Untitled"
    body = (f"{masked_question.text}\n\n---\n\n" if masked_question.text else "") + masked_answer.text
    return DraftText(mask(title[:MAX_TITLE], names).text, body, masked_question.count + masked_answer.count)


def _question_and_answer(conn: Connection, conversation_id: int, message_id: int | None) -> tuple[str | None, str]:
    """The reply to save (the given one, else the last) and the customer's words before it."""
    public = conn.execute(select(MESSAGES.c.id, MESSAGES.c.direction, MESSAGES.c.body).where(
        MESSAGES.c.conversation_id == conversation_id, MESSAGES.c.kind == REPLY).order_by(MESSAGES.c.id)).all()
    replies = [m for m in public if m.direction == OUT and (message_id is None or m.id == message_id)]
    if not replies:
        return None, ""
    answer = replies[-1]
    asked: list[str] = []
    for m in public:
        if m.id >= answer.id:
            break
        if m.direction == IN:
            asked.append(m.body)
        else:
            asked = []  # only what was asked since the team last answered
    return answer.body, "\n\n".join(a.strip() for a in asked if a.strip())


def _without_signature(text: str, agents: Any) -> str:
    """A reply's greeting and sign-off are for one customer: the agent's name goes with its line."""
    lines = text.strip().split("\n")
    names = [n for n in agents if n]
    while lines and (not lines[-1].strip() or any(n.split(" ")[0] in lines[-1] for n in names)):
        lines.pop()
    return "\n".join(lines)


def _first_sentence(text: str) -> str:
    first = re.split(r"(?<=[.?!])\s", text.strip(), maxsplit=1)[0]
    return first[:MAX_TITLE]
