"""The thread that runs automation rules right after what set them off is committed: woken by
each recorded event (any process's, on PostgreSQL), and every few seconds for anything missed."""

from __future__ import annotations

from typing import Any

from helpdesk.events import AUTOMATION_QUEUED, EventBus, WakeableLoop


class AutomationWorker(WakeableLoop):
    name = "helpdesk-automation"
    doing = "automation pass"

    def __init__(self, automation: Any, bus: EventBus, idle_seconds: float = 5.0, gather_seconds: float = 0.1,
                 batch: int = 200) -> None:
        self.automation = automation
        self.batch = batch
        # Under a burst, events gathered for a moment share one transaction (one commit for many,
        # not one each beside every intake commit); alone, an event waits no longer than this.
        super().__init__(bus, {AUTOMATION_QUEUED}, idle_seconds, gather_seconds)

    def one_pass(self) -> bool:
        return bool(self.automation.process(self.batch) >= self.batch)
