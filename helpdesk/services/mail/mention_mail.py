"""The mail an agent gets when a note mentions them while they are away, and they have asked
for it (Account › Mail me mentions while I'm away). It goes from the shop's first mailbox to
the agent's own address: who wrote, the conversation, the note, and where Helpdesk is on the
shop's network. It is a notice, not a thread: answering it reaches no customer and no note."""

from __future__ import annotations

from email.utils import make_msgid
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from helpdesk.models.tables import (AGENTS, CONVERSATIONS as C, CUSTOMERS, MAILBOXES as MAILBOX, MENTIONS,
                                    MESSAGES as MSG)
from helpdesk.services.mail.types import OutgoingMail


def compose_mention(conn: Connection, mention_id: int, link: str, render: Any) -> OutgoingMail | str:
    """The mail for one mention, or why there is none (in words, for the mention's record)."""
    author = AGENTS.alias("author")
    row = conn.execute(
        select(AGENTS.c.email, AGENTS.c.name, author.c.name.label("by"), MSG.c.body, C.c.id.label("conversation_id"),
               C.c.subject, CUSTOMERS.c.name.label("customer"), CUSTOMERS.c.contact)
        .select_from(MENTIONS).join(AGENTS, AGENTS.c.id == MENTIONS.c.agent_id)
        .join(MSG, MSG.c.id == MENTIONS.c.message_id).join(C, C.c.id == MSG.c.conversation_id)
        .join(CUSTOMERS, CUSTOMERS.c.id == C.c.customer_id)
        .outerjoin(author, author.c.id == MENTIONS.c.by_agent_id)
        .where(MENTIONS.c.id == mention_id)).first()
    if row is None:
        return "the mention is gone"
    box = conn.execute(select(MAILBOX).where(MAILBOX.c.active.is_(True)).order_by(MAILBOX.c.id).limit(1)).first()
    if box is None:
        return "no mailbox to send from: add one in Settings › Mailboxes"
    context = {"by": row.by or "A rule", "conversation_id": row.conversation_id, "subject": row.subject or "",
               "customer": row.customer or (row.contact or "").split(" ")[0] or "a customer", "body": row.body,
               "link": link}
    text, html = render(context)
    return OutgoingMail(
        mailbox_id=box.id, from_address=box.address, from_name=f"Helpdesk ({box.name})", to=[row.email],
        subject=f"{context['by']} mentioned you in #{row.conversation_id}"
                + (f": {row.subject}" if row.subject else ""),
        message_id=make_msgid(domain=box.address.rpartition("@")[2] or "helpdesk.local"), text=text, html=html,
        automatic=True)
