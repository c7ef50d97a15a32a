"""The thread that delivers the outbox: wakes when something is enqueued, and at least
every second for retries whose backoff has run out. Woken, it waits a moment (COALESCE_SECONDS)
so that a burst of customer messages, a group commit every ~10 ms, costs one pass, not one each:
those passes were 4.5 % of the server's time under load (py-spy, docs/performance.md)."""

from __future__ import annotations

from helpdesk.events import OUTBOX_ENQUEUED, EventBus, WakeableLoop
from helpdesk.services.outbox import OutboxService

COALESCE_SECONDS = 0.05


class OutboxWorker(WakeableLoop):
    name = "helpdesk-outbox"
    doing = "outbox delivery pass"

    def __init__(self, outbox: OutboxService, bus: EventBus, idle_seconds: float = 1.0) -> None:
        self.outbox = outbox
        super().__init__(bus, {OUTBOX_ENQUEUED}, idle_seconds, gather_seconds=COALESCE_SECONDS)

    def one_pass(self) -> bool:
        return bool(self.outbox.deliver_due())
