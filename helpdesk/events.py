"""In-process publish/subscribe. Services publish after their transaction commits;
UI sessions (and later the outbox and jobs) subscribe.

Subscribers are called synchronously on the publishing thread, so they must be quick
and thread-safe: a UI session hands the event to its own event loop and returns.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
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


class FanoutTrace:
    """The server's part of a fan-out, for bench/sessions.py: with HELPDESK_FANOUT_TRACE=FILE the
    wall-clock time each new message's event is published (just after its commit) and each
    websocket frame has been handed to the socket, one line each. Off (and free) otherwise."""

    def __init__(self, path: str | None) -> None:
        self.enabled = bool(path)
        self._file = open(path, "a", buffering=1, encoding="utf-8") if path else None  # noqa: SIM115 (for the process's life)
        self._lock = threading.Lock()

    def note(self, kind: str, detail: object) -> None:
        if self._file is not None:
            with self._lock:
                self._file.write(f"{time.time():.6f} {kind} {detail}\n")


fanout_trace = FanoutTrace(os.environ.get("HELPDESK_FANOUT_TRACE"))


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
        if fanout_trace.enabled and event.type == MESSAGE_CREATED:
            fanout_trace.note("published", event.data.get("message_id"))
        with self._lock:
            subscribers = list(self._subscribers)
        for callback, types in subscribers:
            if types is not None and event.type not in types:
                continue
            try:
                callback(event)
            except Exception:  # one broken subscriber must not stop the others or the write
                log.exception("event subscriber failed for %s", event.type)
