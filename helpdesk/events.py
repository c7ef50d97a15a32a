"""In-process publish/subscribe. Services publish after their transaction commits;
UI sessions, the workers and the channels subscribe.

Subscribers are called synchronously on the publishing thread, so they must be quick
and thread-safe: a UI session hands the event to its own event loop and returns.

Also here: `WakeableLoop`, the one shape of every background thread (jobs' workers, the
channels' senders, receivers and configuration watchers), woken by this bus.
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

# The catalogue: every event the bus carries, published after its transaction commits (or, for
# the few marked "no write", when it happens). `conversation_id` is the Event's own field; the
# rest is its `data`. Subscribers: the agent sessions (ui/workspace/live.py), the workers
# (jobs/), the channels, the customer pages' live updates (api/widget.py) and, on PostgreSQL,
# the other processes (db/pg.py relays every one).
MESSAGE_CREATED = "message.created"  # conversation; message_id, direction, kind[, automatic]
CONVERSATION_CREATED = "conversation.created"  # conversation
CONVERSATION_UPDATED = "conversation.updated"  # conversation or None (many: sla=True); what changed
CONVERSATION_TRANSFERRED = "conversation.transferred"  # conversation; old, to (agent ids) or team, old_team: a hand-over
CONVERSATION_HANDOFF = "conversation.handoff"  # conversation; reason: a bot handed it to people
DRAFT_SAVED = "draft.saved"  # conversation; agent_id, body ("" once sent or discarded)
CUSTOMER_UPDATED = "customer.updated"  # customer_id
AGENT_AVAILABILITY = "agent.availability"  # agent_id: away, back, or working hours changed
SESSIONS_ENDED = "sessions.ended"  # agent_id: signed out elsewhere, password or second step reset
PRESENCE_CHANGED = "presence.changed"  # conversation; who is viewing or typing (no write)
DELIVERY_UPDATED = "delivery.updated"  # conversation; message_id, status of a reply on its way out
OUTBOX_ENQUEUED = "outbox.enqueued"  # conversation or None: a webhook or reply waits (wakes the outbox)
WEBHOOK_ATTEMPTED = "webhook.attempted"  # webhook_id, delivered: one delivery tried (Settings shows it)
SLA_BREACHED = "sla.breached"  # conversation; target, due_at (ISO 8601)
AUTOMATION_QUEUED = "automation.queued"  # conversation: wakes the automation worker
AUTOMATION_NOTIFY = "automation.notify"  # conversation; text, rule: a rule's note to the team
RULES_CHANGED = "automation.changed"  # the rules were edited
MAILBOX_CHANGED = "mailbox.changed"  # mailbox_id[, status=True: only its banner changed]
MAIL_UNREADABLE = "mail.unreadable"  # mailbox_id: a mail that could not be read was kept aside
CHANNEL_CHANGED = "channel.changed"  # channel_id[, status=True]
TEAMS_CHANGED = "teams.changed"  # team_id: a team made, changed or removed
ARTICLES_CHANGED = "articles.changed"  # article_id: a help article written, changed or deleted
MACROS_CHANGED = "macros.changed"  # owner_id (None: a shared one): a macro made, changed or deleted
MENTION_CREATED = "mention.created"  # conversation; agent_ids, message_id, by: a note named them
MENTIONS_READ = "mentions.read"  # conversation; agent_id: they opened it or wrote in it
PAYMENT_CHANGED = "payment.changed"  # conversation[, request_id, status]: the card redraws
JOB_FINISHED = "job.finished"  # job_id, result: a scheduled job run from Settings ended


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


class WakeableLoop:
    """A daemon thread that runs a pass, again at once while a pass says there is more, else when
    woken (`wake()`, or an event of `wake_on` on the bus) or after `idle_seconds` for anything
    missed. A pass may change `idle_seconds` (a backoff after a failure). Woken, it gathers
    `gather_seconds` more first, so a burst (a group commit every ~10 ms) costs one pass, not
    one each. A pass that raises is logged and the loop goes on. `passes` counts finished
    passes: tests wait on it, never on a sleep. A pass that waits itself (a long poll, IMAP
    IDLE) waits on `stop_event`, or ends its wait in `interrupt()`."""

    name = "helpdesk-worker"  # the thread's name, in logs and profiles
    doing = "a background pass"  # for the log line when a pass fails

    def __init__(self, bus: EventBus | None, wake_on: set[str], idle_seconds: float, gather_seconds: float = 0.0,
                 name: str = "") -> None:
        self.idle_seconds = idle_seconds
        self.gather_seconds = gather_seconds
        self.passes = 0
        self.stop_event = threading.Event()
        self._wake = threading.Event()
        self._unsubscribe: Callable[[], None] = \
            bus.subscribe(self.woken, types=wake_on) if bus is not None and wake_on else (lambda: None)
        self._thread = threading.Thread(target=self._run, name=name or self.name, daemon=True)

    def one_pass(self) -> bool:
        """Do one round of work; True when there is more to do at once."""
        raise NotImplementedError

    def woken(self, _event: Event) -> None:
        """Called on the publishing thread: be quick."""
        self._wake.set()

    def wake(self) -> None:
        """Run a pass now (or as soon as the current one ends)."""
        self._wake.set()

    def interrupt(self) -> None:
        """Called by `stop()`: end a wait the pass is in that does not watch `stop_event`."""

    def start(self) -> "WakeableLoop":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self.stop_event.is_set():
            self._wake.clear()  # an event during the pass wakes the next wait at once
            try:
                more = self.one_pass()
            except Exception:
                log.exception("%s failed", self.doing)
                more = False
            self.passes += 1
            if not more and self._wake.wait(self.idle_seconds) and not self.stop_event.is_set():
                self.stop_event.wait(self.gather_seconds)

    def stop(self, wait: float = 15.0) -> None:
        self._unsubscribe()
        self.stop_event.set()
        self._wake.set()
        self.interrupt()
        if self._thread.is_alive():
            self._thread.join(timeout=wait)
