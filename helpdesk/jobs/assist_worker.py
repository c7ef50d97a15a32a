"""The thread that writes hand-over summaries: when a conversation goes from one agent to another,
or a bot hands it to people, and a language model is set up for it, the model's summary goes
into the thread as a note, so the next person and the customer repeat nothing. A model that is
down writes nothing (the hand-over itself never waits for it)."""

from __future__ import annotations

import collections
import logging
from typing import Any

from helpdesk.events import CONVERSATION_HANDOFF, CONVERSATION_TRANSFERRED, Event, EventBus, WakeableLoop
from helpdesk.services.errors import ServiceError

log = logging.getLogger(__name__)
QUEUE_LIMIT = 1000


class AssistWorker(WakeableLoop):
    name = "helpdesk-assist"
    doing = "hand-over summary"

    def __init__(self, services: Any, bus: EventBus, idle_seconds: float = 60.0) -> None:
        self.services = services
        self._waiting: collections.deque[Event] = collections.deque()
        super().__init__(bus, {CONVERSATION_TRANSFERRED, CONVERSATION_HANDOFF}, idle_seconds)

    def woken(self, event: Event) -> None:
        if len(self._waiting) >= QUEUE_LIMIT:
            log.warning("hand-over summaries are behind; skipped conversation %s", event.conversation_id)
            return
        self._waiting.append(event)  # deque appends and pops are thread-safe
        super().woken(event)

    def one_pass(self) -> bool:
        if not self._waiting:
            return False
        event = self._waiting.popleft()
        try:
            self.services.assist.handover_note(event.conversation_id, self._why(event))
        except ServiceError as exc:
            log.warning("no hand-over summary for conversation %s: %s", event.conversation_id, exc.message)
        except Exception:  # one conversation's failure leaves the others waiting behind it alone
            log.exception("hand-over summary failed for conversation %s", event.conversation_id)
        return bool(self._waiting)

    def _why(self, event: Event) -> str:
        if event.type == CONVERSATION_HANDOFF:
            return f"a bot handed over: {event.data.get('reason') or 'no reason given'}"
        names = {a.id: a.name for a in self.services.agents.list()}
        if event.data.get("team") is not None:  # moved to a team's queue
            teams = self.services.teams.names()
            before = teams.get(event.data.get("old_team")) or names.get(event.data.get("old"))
            return f"moved {'from ' + before + ' ' if before else ''}to {teams.get(event.data['team'], 'a team')}"
        return f"transferred from {names.get(event.data.get('old'), 'someone')} to " \
               f"{names.get(event.data.get('to'), 'someone')}"
