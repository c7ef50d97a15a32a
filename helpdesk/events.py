"""In-process publish/subscribe. Services publish after their transaction commits;
UI sessions (and later the outbox and jobs) subscribe.

Subscribers are called synchronously on the publishing thread, so they must be quick
and thread-safe: a UI session hands the event to its own event loop and returns.
"""

from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

log = logging.getLogger(__name__)

# Event types published by services.
MESSAGE_CREATED = "message.created"
CONVERSATION_CREATED = "conversation.created"
CONVERSATION_UPDATED = "conversation.updated"
DRAFT_SAVED = "draft.saved"
CUSTOMER_UPDATED = "customer.updated"
# An agent's sessions ended elsewhere (signed out, password or second step reset): open pages check theirs.
SESSIONS_ENDED = "sessions.ended"


@dataclass(frozen=True)
class Event:
    type: str
    conversation_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


Subscriber = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[tuple[Subscriber, frozenset[str] | None]] = []
        self._lock = threading.Lock()
        # Grows after every commit here (Database) and with every other process's events
        # (db/pg.EventRelay), before their events are published: a read begun at one value saw
        # every write acknowledged before it (services/shared_reads.py).
        self.data_version = 0
        self._versions = itertools.count(1)

    def data_changed(self) -> None:
        self.data_version = next(self._versions)  # next() on a count is atomic: writer and relay threads

    def subscribe(self, callback: Subscriber, types: set[str] | None = None) -> Callable[[], None]:
        """Register a callback (for all types, or only `types`); returns the unsubscribe function."""
        entry = (callback, frozenset(types) if types else None)
        with self._lock:
            self._subscribers.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._subscribers:
                    self._subscribers.remove(entry)

        return unsubscribe

    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def publish(self, event: Event) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback, types in subscribers:
            if types is not None and event.type not in types:
                continue
            try:
                callback(event)
            except Exception:  # one broken subscriber must not stop the others or the write
                log.exception("event subscriber failed for %s", event.type)
