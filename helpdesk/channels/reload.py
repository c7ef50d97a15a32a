"""The loop that keeps a channel kind's workers in step with their configuration: `sync`
runs at start, whenever the services say something changed (in this process), and every
few seconds (a change made by another process: the command line, another server)."""

from __future__ import annotations

import logging
import threading
from typing import Callable

log = logging.getLogger(__name__)
RELOAD_SECONDS = 5.0


def watch(stop: threading.Event, changed: threading.Event, sync: Callable[[], None], what: str,
          seconds: float = RELOAD_SECONDS) -> None:
    while not stop.is_set():
        changed.wait(seconds)
        changed.clear()
        if stop.is_set():
            break
        try:
            sync()
        except Exception:  # keep watching; the next round may work
            log.exception("reading the %s failed", what)
