"""The thread that writes hand-over summaries: when a conversation goes from one agent to another,
or a bot hands it to people, and a language model is set up for it, the model's summary goes
into the thread as a note, so the next person and the customer repeat nothing. A model that is
down writes nothing (the hand-over itself never waits for it)."""

from __future__ import annotations

import logging
import queue
import threading

from helpdesk.events import CONVERSATION_HANDOFF, CONVERSATION_TRANSFERRED, Event, EventBus
from helpdesk.services.errors import ServiceError

log = logging.getLogger(__name__)


class AssistWorker:
    def __init__(self, services, bus: EventBus) -> None:  # type: ignore[no-untyped-def]
        self.services = services
        self._queue: queue.Queue[Event | None] = queue.Queue(maxsize=1000)
        self._unsubscribe = bus.subscribe(self._on_event, types={CONVERSATION_TRANSFERRED, CONVERSATION_HANDOFF})
        self._thread = threading.Thread(target=self._run, name="helpdesk-assist", daemon=True)

    def start(self) -> "AssistWorker":
        self._thread.start()
        return self

    def _on_event(self, event: Event) -> None:
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            log.warning("hand-over summaries are behind; skipped conversation %s", event.conversation_id)

    def _run(self) -> None:
        while (event := self._queue.get()) is not None:
            try:
                self.services.assist.handover_note(event.conversation_id, self._why(event))
            except ServiceError as exc:
                log.warning("no hand-over summary for conversation %s: %s", event.conversation_id, exc.message)
            except Exception:
                log.exception("hand-over summary failed for conversation %s", event.conversation_id)

    def _why(self, event: Event) -> str:
        if event.type == CONVERSATION_HANDOFF:
            return f"a bot handed over: {event.data.get('reason') or 'no reason given'}"
        names = {a.id: a.name for a in self.services.agents.list()}
        return f"transferred from {names.get(event.data.get('old'), 'someone')} to "\
               f"{names.get(event.data.get('to'), 'someone')}"

    def stop(self) -> None:
        self._unsubscribe()
        self._queue.put(None)
        self._thread.join(timeout=15)
