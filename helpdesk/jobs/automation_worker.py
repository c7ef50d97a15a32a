"""The thread that runs automation rules right after what set them off is committed: woken by
each recorded event (any process's, on PostgreSQL), and every few seconds for anything missed."""

from __future__ import annotations

import logging
import threading

from helpdesk.events import AUTOMATION_QUEUED, EventBus

log = logging.getLogger(__name__)


class AutomationWorker:
    def __init__(self, automation, bus: EventBus, idle_seconds: float = 5.0,  # type: ignore[no-untyped-def]
                 gather_seconds: float = 0.1, batch: int = 200) -> None:
        self.automation = automation
        self.idle_seconds = idle_seconds
        # Under a burst, events gathered for a moment share one transaction (one commit for many,
        # not one each beside every intake commit); alone, an event waits no longer than this.
        self.gather_seconds = gather_seconds
        self.batch = batch
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._unsubscribe = bus.subscribe(lambda _e: self._wake.set(), types={AUTOMATION_QUEUED})
        self._thread = threading.Thread(target=self._run, name="helpdesk-automation", daemon=True)

    def start(self) -> "AutomationWorker":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                handled = self.automation.process(self.batch)
            except Exception:
                log.exception("automation pass failed")
                handled = 0
            if handled < self.batch and self._wake.wait(self.idle_seconds) and not self._stop.is_set():
                self._stop.wait(self.gather_seconds)

    def stop(self) -> None:
        self._unsubscribe()
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=15)
