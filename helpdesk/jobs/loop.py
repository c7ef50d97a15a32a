"""The one shape of a background worker: a daemon thread that runs a pass, again at once while a
pass says there is more, else when woken (an event it listens for, published on the bus) or
after `idle_seconds` for anything missed. Woken, it gathers `gather_seconds` more first, so a
burst (a group commit every ~10 ms) costs one pass, not one each. A pass that fails is logged
and the loop goes on. `passes` counts finished passes: tests wait on it, never on a sleep."""

from __future__ import annotations

import logging
import threading
from typing import Callable

from helpdesk.events import Event, EventBus

log = logging.getLogger(__name__)


class WakeableLoop:
    name = "helpdesk-worker"  # the thread's name, in logs and profiles
    doing = "a background pass"  # for the log line when a pass fails

    def __init__(self, bus: EventBus, wake_on: set[str], idle_seconds: float, gather_seconds: float = 0.0) -> None:
        self.idle_seconds = idle_seconds
        self.gather_seconds = gather_seconds
        self.passes = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._unsubscribe: Callable[[], None] = bus.subscribe(self.woken, types=wake_on)
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def one_pass(self) -> bool:
        """Do one round of work; True when there is more to do at once."""
        raise NotImplementedError

    def woken(self, _event: Event) -> None:
        """Called on the publishing thread: be quick."""
        self._wake.set()

    def start(self) -> "WakeableLoop":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # an event during the pass wakes the next wait at once
            try:
                more = self.one_pass()
            except Exception:
                log.exception("%s failed", self.doing)
                more = False
            self.passes += 1
            if not more and self._wake.wait(self.idle_seconds) and not self._stop.is_set():
                self._stop.wait(self.gather_seconds)

    def stop(self) -> None:
        self._unsubscribe()
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=15)
