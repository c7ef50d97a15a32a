"""Choices a customer can tap: a reply may offer up to ten short answers (buttons in the chat
and on the conversation page, Telegram's keyboard, a numbered list by text and mail). The
customer's answer, tapped or typed ("2", or the words themselves), is kept with `choice`, so
a bot branches on it and a rule can match it."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from helpdesk.db.direct import prepared
from helpdesk.models import OUT, REPLY
from helpdesk.models.tables import MESSAGES as MESSAGE

MAX_CHOICES, MAX_CHOICE = 10, 40
_NUMBER = re.compile(r"^\s*#?\s*(\d{1,2})\s*[.)]?\s*$")
_LAST_REPLY_META = prepared(select(MESSAGE.c.meta).where(
    MESSAGE.c.conversation_id == bindparam("b_id"), MESSAGE.c.direction == OUT,
    MESSAGE.c.kind == REPLY).order_by(MESSAGE.c.id.desc()).limit(1))  # built once: intake's path


def check_choices(fields: dict[str, str], choices: Any) -> list[str]:
    """The offered choices, cleaned; a problem goes into `fields["choices"]`."""
    if not choices:
        return []
    if not isinstance(choices, (list, tuple)) or not all(isinstance(c, str) for c in choices):
        fields["choices"] = "must be a list of texts"
        return []
    cleaned = [" ".join(c.split()) for c in choices]
    if len(cleaned) > MAX_CHOICES:
        fields["choices"] = f"at most {MAX_CHOICES} choices"
    elif any(not c for c in cleaned):
        fields["choices"] = "a choice cannot be empty"
    elif any(len(c) > MAX_CHOICE for c in cleaned):
        fields["choices"] = f"each choice must be at most {MAX_CHOICE} characters"
    elif len({c.casefold() for c in cleaned}) != len(cleaned):
        fields["choices"] = "each choice must be different"
    return cleaned


def rich_fields(meta: dict[str, Any] | None) -> dict[str, Any]:
    """What webhooks and the events API add for a message's choices, its answer or its payment card."""
    if not meta:
        return {}
    out: dict[str, Any] = {}
    for key in ("choices", "choice", "payment_request_id", "location", "contact"):
        if key in meta:
            out[key] = meta[key]
    return out


def choice_answered(conn: Connection, conversation_id: int, body: str) -> str | None:
    """The choice a customer message picks from the team's last reply: its number ("2") or its
    words ("talk to a person"); None when that reply offered none or the message is not one."""
    text = " ".join(body.split())
    if not text or len(text) > MAX_CHOICE:  # most messages stop here, without a query
        return None
    meta = conn.execute(_LAST_REPLY_META, {"b_id": conversation_id}).scalar()
    offered = (meta or {}).get("choices") or []
    if not offered:
        return None
    if number := _NUMBER.match(text):
        n = int(number.group(1))
        return offered[n - 1] if 1 <= n <= len(offered) else None
    return next((c for c in offered if c.casefold() == text.casefold()), None)


def as_text(choices: list[str]) -> str:
    """The choices for channels without buttons (SMS, WhatsApp, mail)."""
    count = len(choices)
    numbers = "1" if count == 1 else "1 or 2" if count == 2 else "1, 2 or 3" if count == 3 else \
        f"a number from 1 to {count}"
    return "\n".join([*(f"{n}. {c}" for n, c in enumerate(choices, 1)), f"(Reply {numbers})"])
