"""Bots first, then people. A bot token can answer a channel's new conversations first;
they wait under "Bot" with the team's SLA clocks stopped. The bot hands over when it
calls handoff, when the customer asks for a person (settable words), when it has left
the customer waiting past a settable time, or when an agent answers. Handing over opens
the conversation for people, starts the clocks then, and writes who handed over and why
in the thread, so the agent reads the whole exchange and the customer repeats nothing."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from helpdesk.events import CONVERSATION_HANDOFF, OUTBOX_ENQUEUED
from helpdesk.db import Transaction
from helpdesk.models import OPEN, ApiToken, AppSetting, Conversation
from helpdesk.models.tables import CONVERSATIONS as CONVERSATION
from helpdesk.services.base import ADMIN, AGENT, BOT, SYSTEM, Actor, audit, require_admin, require_role,\
    require_scope, writes
from helpdesk.services.conversations.common import STATE_COLUMNS, ConversationBase, load_state
from helpdesk.services.conversations.status import HANDOFF, change_status
from helpdesk.services.errors import ValidationFailed
from helpdesk.services.outbox import enqueue

HANDOFF_KEY = "bot_handoff"
DEFAULT_WORDS = ("agent", "human", "person", "real person", "someone")
DEFAULT_SILENCE_MINUTES = 2


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def wants_a_person(body: str, words: tuple[str, ...]) -> bool:
    """True when the customer's message names one of the words or phrases (whole words, any case)."""
    text = f" {_words(body)} "
    return any(f" {_words(w)} " in text for w in words if _words(w))


class HandoffMixin(ConversationBase):
    _handoff_cache: tuple[tuple[str, ...], int] | None = None
    _handoff_lock = threading.Lock()

    def handoff_settings(self) -> tuple[tuple[str, ...], int]:
        """(words that ask for a person, minutes a bot may leave a customer waiting)."""
        with self._handoff_lock:
            if self._handoff_cache is None:
                with self.db.read() as s:
                    setting = s.get(AppSetting, HANDOFF_KEY)
                value = setting.value if setting and setting.value else {}
                self._handoff_cache = (tuple(value.get("words", DEFAULT_WORDS)),
                                       int(value.get("silence_minutes", DEFAULT_SILENCE_MINUTES)))
            return self._handoff_cache

    def set_handoff_settings(self, words: list[str], silence_minutes: int, actor: Actor) -> None:
        require_admin(actor, "change when bots hand over")
        clean = [" ".join(w.split()).lower() for w in words if w.strip()]
        if not 1 <= silence_minutes <= 1440:
            raise ValidationFailed("not saved", {"silence_minutes": "must be 1 to 1440 minutes"})
        if any(len(w) > 40 for w in clean) or len(clean) > 50:
            raise ValidationFailed("not saved", {"words": "at most 50 words or phrases of 40 characters"})
        self._save_handoff_settings(clean, silence_minutes, actor)

    @writes
    def _save_handoff_settings(self, words: list[str], silence_minutes: int, actor: Actor) -> None:
        with self.db.write() as tx:
            setting = tx.session.get(AppSetting, HANDOFF_KEY) or AppSetting(key=HANDOFF_KEY)
            setting.value = {"words": words, "silence_minutes": silence_minutes}
            tx.session.add(setting)
            audit(tx.session, self.now(), actor, "bot.handoff_settings", words=words, silence_minutes=silence_minutes)
        with self._handoff_lock:
            self._handoff_cache = None

    def handoff(self, conversation_id: int, actor: Actor, reason: str) -> Conversation:
        """Hand a conversation (bot-first or not) to people: afterwards it is open, waiting on them."""
        require_role(actor, ADMIN, AGENT, BOT, doing="hand a conversation over")
        require_scope(actor, "reply", "hand a conversation over")
        reason = " ".join((reason or "").split())[:300] or "no reason given"
        self._handoff(conversation_id, actor, reason)
        return self.get_row(conversation_id)

    @writes
    def _handoff(self, conversation_id: int, actor: Actor, reason: str) -> None:
        with self.db.write() as tx:
            conn = tx.session.connection()
            self.hand_over(tx, conn, load_state(conn, conversation_id), actor, reason, self.now())

    def hand_over(self, tx: Transaction, conn: Any, state: Any, actor: Actor, reason: str, now: datetime,
                  text: str = "") -> None:
        """Inside a write: open for people, clocks from the customer's latest message, who and why."""
        who = actor
        if actor.role == SYSTEM and getattr(state, "bot_token_id", None):  # automatic: name the bot
            name = conn.execute(select(col(ApiToken.name)).where(col(ApiToken.id) == state.bot_token_id)).scalar()
            who = Actor(SYSTEM, None, name or "The bot")
        change_status(tx, conn, state, OPEN, HANDOFF, who, now, self.sla.rules(), reason=reason, text=text,
                      also={"bot_token_id": None})
        enqueue(conn, CONVERSATION_HANDOFF, state.id, {"conversation_id": state.id, "reason": reason,
                                                 "by": {"type": actor.type, "id": actor.id, "name": who.name}}, now)
        tx.emit(OUTBOX_ENQUEUED, state.id)
        tx.emit(CONVERSATION_HANDOFF, state.id, reason=reason)

    def hand_over_silent(self) -> list[int]:
        """Bot conversations whose customer has waited longer than the bot may let them (a job)."""
        return self._hand_over_silent()

    @writes
    def _hand_over_silent(self) -> list[int]:
        _, minutes = self.handoff_settings()
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            due = conn.execute(select(*STATE_COLUMNS).where(
                CONVERSATION.c.bot_token_id.is_not(None), CONVERSATION.c.status == OPEN,
                CONVERSATION.c.waiting_since <= now - timedelta(minutes=minutes)).limit(500)).all()
            for state in due:
                self.hand_over(tx, conn, state, Actor.system(), f"no answer from the bot for {minutes} min", now)
        return [state.id for state in due]
