"""The thread that runs automation rules right after what set them off is committed: woken by
each recorded event (any process's, on PostgreSQL), and every few seconds for anything missed."""

from __future__ import annotations

import logging
import threading

from helpdesk.events import EventBus
from helpdesk.services.automation.record import AUTOMATION_QUEUED

log = logging.getLogger(__name__)


class AutomationWorker:
    def __init__(self, automation, bus: EventBus, idle_seconds: float = 5.0) -> None:  # type: ignore[no-untyped-def]
        self.automation = automation
        self.idle_seconds = idle_seconds
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
                handled = self.automation.process()
            except Exception:
                log.exception("automation pass failed")
                handled = 0
            if not handled:
                self._wake.wait(self.idle_seconds)

    def stop(self) -> None:
        self._unsubscribe()
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=15)
