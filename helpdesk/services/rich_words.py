"""A reply's words for channels that carry text only: a payment request's card becomes its
amount, its links and the bank details; choices become a numbered list ("Reply 1 or 2"),
unless the channel draws buttons itself (Telegram). Mail and texts use the same words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from helpdesk.models.tables import CONVERSATIONS as CONV, PAYMENT_REQUESTS as PR
from helpdesk.services.conversations.choices import as_text



@dataclass(frozen=True)
class RichWords:
    text: str  # the whole message as text
    choices: tuple[str, ...] = ()
    payment: Any = None  # the PaymentCard, for channels that show more (mail's QR code)
    token: str = ""


def words_of(payments: Any, conn: Connection, message: Any, numbered: bool = True) -> RichWords:
    meta = message.meta or {}
    text = message.body
    card, token = None, ""
    if meta.get("payment_request_id") and payments is not None:
        row = conn.execute(select(PR.c.id).where(PR.c.message_id == message.id)).first()
        if row is not None:  # the card itself (a receipt only names the request)
            card = payments.get(row.id)
            token = conn.execute(select(CONV.c.public_token).where(CONV.c.id == message.conversation_id)).scalar() or ""
            text = payments.as_text(card, token)
    choices = tuple(meta.get("choices") or ())
    if choices and numbered:
        text = f"{text}\n\n{as_text(list(choices))}"
    return RichWords(text, choices, card, token)
