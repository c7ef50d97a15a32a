"""The loop that keeps a channel's workers in step with their configuration: `sync` runs when
the services say something changed (an event of `wake_on`, in this process) and every few
seconds (a change made by another process: the command line, another server)."""

from __future__ import annotations

from typing import Callable

from helpdesk.events import EventBus, WakeableLoop

RELOAD_SECONDS = 5.0


class ConfigWatch(WakeableLoop):
    def __init__(self, bus: EventBus, wake_on: set[str], sync: Callable[[], None], what: str,
                 seconds: float = RELOAD_SECONDS) -> None:
        super().__init__(bus, wake_on, seconds, name=f"{what}-watch")
        self.doing = f"reading the {what}"
        self.sync = sync

    def one_pass(self) -> bool:
        self.sync()
        return False
