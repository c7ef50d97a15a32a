"""Who is viewing or typing in which conversation. Ephemeral: kept in memory, not in
the database, and published on the event bus so other sessions can show it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from helpdesk.clock import Clock
from helpdesk.events import Event, EventBus, PRESENCE_CHANGED

TYPING_FOR = timedelta(seconds=6)


@dataclass
class Presence:
    agent_id: int
    name: str
    typing_until: datetime | None = None


class PresenceService:
    def __init__(self, bus: EventBus, clock: Clock) -> None:
        self.bus = bus
        self.clock = clock
        self._lock = threading.Lock()
        # session key -> (conversation id, presence); one agent may have several sessions
        self._sessions: dict[str, tuple[int, Presence]] = {}

    def viewing(self, session_key: str, agent_id: int, name: str, conversation_id: int | None) -> None:
        with self._lock:
            old = self._sessions.pop(session_key, None)
            if conversation_id is not None:
                self._sessions[session_key] = (conversation_id, Presence(agent_id, name))
        changed = {c for c in (old[0] if old else None, conversation_id) if c is not None}
        for cid in changed:
            self.bus.publish(Event(PRESENCE_CHANGED, cid))

    def typing(self, session_key: str) -> None:
        with self._lock:
            entry = self._sessions.get(session_key)
            if entry is None:
                return
            was_typing = entry[1].typing_until is not None and entry[1].typing_until > self.clock.now()
            entry[1].typing_until = self.clock.now() + TYPING_FOR
        if not was_typing:
            self.bus.publish(Event(PRESENCE_CHANGED, entry[0]))

    def left(self, session_key: str) -> None:
        self.viewing(session_key, 0, "", None)

    def others(self, conversation_id: int, agent_id: int) -> list[tuple[str, bool]]:
        """(name, is_typing) for every other agent with this conversation open."""
        now = self.clock.now()
        seen: dict[int, tuple[str, bool]] = {}
        with self._lock:
            for cid, p in self._sessions.values():
                if cid != conversation_id or p.agent_id == agent_id:
                    continue
                typing = p.typing_until is not None and p.typing_until > now
                name, was = seen.get(p.agent_id, (p.name, False))
                seen[p.agent_id] = (name, was or typing)
        return sorted(seen.values())
