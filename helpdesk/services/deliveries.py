"""How each public reply reaches its customer: a delivery row per reply, written in the
reply's own transaction, for the reply's channel.

A channel with a transport (email, SMS, messaging apps) registers its kind here; its
replies start `queued` and a worker sends them, retrying with backoff while the channel
is down (offline is normal, not an error), then records `sent`, `delivered`, or `failed`
with the channel's reason. Channels without one (the intake API, the customer's page)
need no sending: the reply is on the customer's page and in the webhooks at once, `sent`."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, cast

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.engine import Connection

from helpdesk.events import DELIVERY_UPDATED
from helpdesk.models.tables import DELIVERIES as D, MESSAGES as M
from helpdesk.services.base import Service, writes
from helpdesk.services.errors import ValidationFailed
from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database

QUEUED, SENDING, SENT, DELIVERED, FAILED = "queued", "sending", "sent", "delivered", "failed"
# A reply left `sending` this long was being sent when Helpdesk stopped (a try takes seconds).
SENDING_STALE_AFTER = timedelta(minutes=2)
_RANK = {QUEUED: 0, SENDING: 0, SENT: 1, FAILED: 2, DELIVERED: 3}
_LAST_IN_CHANNEL = select(M.c.channel).where(M.c.conversation_id == bindparam("b_id"), M.c.direction == "in",
                                            M.c.kind == "reply").order_by(M.c.id.desc()).limit(1)


@dataclass(frozen=True)
class DeliveryState:
    channel: str
    status: str
    error: str = ""


@dataclass(frozen=True)
class Due:
    id: int
    message_id: int
    conversation_id: int
    channel: str
    attempts: int
    external_id: str
    since: datetime | None = None  # when the row last changed (an interrupted reply: its last try began)


def retry_after(attempts: int, first: float = 15.0, cap: float = 900.0) -> timedelta:
    """15 s, 30 s, 1 min … capped at 15 min, each ±20 % so retries do not arrive together."""
    return timedelta(seconds=min(cap, first * 2 ** max(0, attempts - 1)) * random.uniform(0.8, 1.2))


class DeliveryService(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        super().__init__(db, clock, settings)
        self.transports: set[str] = set()  # channel kinds that send replies themselves
        # Channels that may carry a reply instead of the conversation's own (a customer who wrote on
        # the website hears back by email): each gets (connection, conversation state), may name itself.
        self.routers: list[Callable[[Connection, Any], str | None]] = []

        # What a channel checks before a reply may leave by it (WhatsApp's 24 hours, an SMS opt-out):
        # (connection, conversation state, now) -> None, or raises Conflict in words for the agent.
        self.guards: dict[str, Callable[[Connection, Any, datetime], None]] = {}
        # Which channels can reach this conversation's customer: (connection, state) -> [channel, …].
        self.reachable: list[Callable[[Connection, Any], list[str]]] = []

    def default_channel(self, conn: Connection, state: Any) -> str:
        """Where the customer last wrote from (they texted about an email thread: the answer is a
        text), else the conversation's own channel."""
        last = conn.execute(_LAST_IN_CHANNEL, {"b_id": state.id}).scalar()
        return str(last) if last and last not in ("system",) else str(state.channel)

    def options(self, conn: Connection, state: Any) -> list[str]:
        """The channels a reply could leave by, the default first."""
        found = [self.default_channel(conn, state)]
        for reach in self.reachable:
            found += [c for c in reach(conn, state) if c not in found]
        return found

    def choose(self, conn: Connection, state: Any, now: datetime, via: str | None = None) -> str:
        """The channel a reply leaves by, in the reply's transaction: the one the agent picked
        (`via`), else where the customer last wrote from; a channel that sends nothing itself
        (the customer's page) may be carried by another (email notifications). Raises when the
        customer cannot be reached that way, or the channel refuses now (WhatsApp's 24 hours)."""
        if via is not None and via not in self.options(conn, state):
            raise ValidationFailed(f"this customer cannot be reached by {via}",
                                   {"via": f"not one of {', '.join(self.options(conn, state))}"})
        channel = via or self.default_channel(conn, state)
        if channel in self.guards:
            self.guards[channel](conn, state, now)
        if channel not in self.transports:
            channel = next((c for c in (route(conn, state) for route in self.routers) if c), channel)
        return channel

    def record(self, conn: Connection, message_id: int, channel: str, now: datetime) -> DeliveryState:
        """The reply's delivery row: queued for a channel that sends, else sent (it is on the page)."""
        status = QUEUED if channel in self.transports else SENT
        conn.execute(insert(D).values(message_id=message_id, channel=channel, status=status, attempts=0,
                                      next_attempt_at=now if status == QUEUED else None, last_error="",
                                      external_id="", updated_at=now))
        return DeliveryState(channel, status)

    @staticmethod
    def of_message_in(conn: Connection, message_id: int) -> DeliveryState | None:
        row = conn.execute(select(D.c.channel, D.c.status, D.c.last_error).where(D.c.message_id == message_id)).first()
        return DeliveryState(row.channel, row.status, row.last_error) if row else None

    def of_messages(self, message_ids: list[int]) -> dict[int, DeliveryState]:
        if not message_ids:
            return {}
        with self.db.read() as s:
            rows = s.execute(select(D.c.message_id, D.c.channel, D.c.status, D.c.last_error)
                             .where(D.c.message_id.in_(message_ids))).all()
        return {r.message_id: DeliveryState(r.channel, r.status, r.last_error) for r in rows}

    # ---- for the channel workers -------------------------------------------------------

    def due(self, channel: str, limit: int = 20) -> list[Due]:
        """Queued replies of a channel whose next try has come, oldest first."""
        return self._dues(D.c.status == QUEUED, D.c.channel == channel, D.c.next_attempt_at <= self.now(), limit=limit)

    def _dues(self, *conditions: Any, limit: int = 20) -> list[Due]:
        """Delivery rows matching `conditions` as the workers take them, oldest first."""
        with self.db.read() as s:
            rows = s.execute(select(D.c.id, D.c.message_id, M.c.conversation_id, D.c.channel, D.c.attempts,
                                    D.c.external_id, D.c.updated_at).join(M, M.c.id == D.c.message_id)
                             .where(and_(*conditions)).order_by(D.c.id).limit(limit)).all()
        return [Due(r.id, r.message_id, r.conversation_id, r.channel, r.attempts, r.external_id, r.updated_at)
                for r in rows]

    def awaiting_report(self, channel: str, prefix: str = "", within: timedelta = timedelta(days=2)) -> list[str]:
        """The channel's ids of replies it took but has not reported delivered or failed, recently."""
        with self.db.read() as s:
            rows = s.execute(select(D.c.external_id).where(
                D.c.channel == channel, D.c.status == SENT, D.c.external_id.like(f"{prefix}%"),
                D.c.updated_at >= self.now() - within).order_by(D.c.id).limit(200)).scalars()
            return [r for r in rows if r]

    def interrupted(self, channel: str) -> list[Due]:
        """Replies left `sending` (Helpdesk stopped between the far end's answer and our record):
        the channel worker finds out whether they went before anything is sent again."""
        return self._dues(D.c.status == SENDING, D.c.channel == channel,
                          D.c.updated_at <= self.now() - SENDING_STALE_AFTER)

    @writes
    def sending(self, delivery_id: int, external_id: str) -> None:
        """Recorded before the far end is called (with our own id for it), so a crash before its
        answer is recorded leaves a trace to reconcile, not a silent second send."""
        self._set(delivery_id, status=SENDING, external_id=external_id)

    @writes
    def requeue(self, delivery_id: int) -> None:
        """An interrupted reply that did not go: queued again, to be sent now."""
        self._set(delivery_id, status=QUEUED, next_attempt_at=self.now())

    @writes
    def prepare(self, delivery_id: int, external_id: str) -> None:
        """Fix the channel's own id before the first try (a Message-ID), so a retry after a crash
        between sending and recording is recognised as the same message."""
        with self.db.write() as tx:
            tx.session.connection().execute(update(D).where(D.c.id == delivery_id).values(external_id=external_id))

    @writes
    def sent(self, delivery_id: int, external_id: str = "", delivered: bool = False, copy: bool = False) -> None:
        """The channel took it; `copy`: a copy is owed to the mailbox's Sent folder (email)."""
        self._set(delivery_id, status=DELIVERED if delivered else SENT, last_error="",
                  **({"external_id": external_id} if external_id else {}), **({"copy_state": "pending"} if copy else {}))

    def copies_owed(self, channel: str, limit: int = 20) -> list[Due]:
        """Sent replies whose copy is still to be filed on the channel's server (the Sent folder)."""
        return self._dues(D.c.copy_state == "pending", D.c.channel == channel, limit=limit)

    @writes
    def copied(self, delivery_id: int, state: str = "done") -> None:
        """The copy is filed ("done"), or will never be ("failed": no Sent folder, none wanted)."""
        with self.db.write() as tx:
            tx.session.connection().execute(update(D).where(D.c.id == delivery_id).values(copy_state=state))

    @writes
    def retry(self, delivery_id: int, attempts: int, error: str) -> None:
        """The channel is down (offline, refused): try again later, the reason kept for people."""
        self._set(delivery_id, status=QUEUED, attempts=attempts, last_error=error[:500],
                  next_attempt_at=self.now() + retry_after(attempts))

    @writes
    def failed(self, delivery_id: int, error: str) -> None:
        """The channel said no for good (a bad address, a bounce): people see why."""
        self._set(delivery_id, status=FAILED, last_error=error[:500], next_attempt_at=None)

    @writes
    def update_by_external_id(self, channel: str, external_id: str, status: str, error: str = "",
                              reference: str = "") -> int | None:
        """A channel's later report (delivered, failed) on a message it sent; returns the message id.
        `reference`: our own id for it, which the report may carry (Twilio's status callback), for a
        reply whose answer from the channel was never recorded (Helpdesk stopped mid-send)."""
        with self.db.write() as tx:
            conn = tx.session.connection()
            find = select(D.c.id, D.c.message_id, M.c.conversation_id).join(M, M.c.id == D.c.message_id)
            row = conn.execute(find.where(D.c.channel == channel, D.c.external_id == external_id)).first()
            if row is None and reference:
                row = conn.execute(find.where(D.c.channel == channel, D.c.external_id == reference)).first()
                if row is not None:  # the channel's id for it, from now on
                    conn.execute(update(D).where(D.c.id == row.id).values(external_id=external_id))
            if row is None:
                return None
            # Reports can arrive out of order (delivered before sent): a state never goes back.
            current = conn.execute(select(D.c.status).where(D.c.id == row.id)).scalar()
            if _RANK.get(status, 0) < _RANK.get(current or "", 0):
                return cast(int | None, row.message_id)
            conn.execute(update(D).where(D.c.id == row.id).values(status=status, last_error=error[:500],
                                                                  next_attempt_at=None, updated_at=self.now()))
            tx.emit(DELIVERY_UPDATED, row.conversation_id, message_id=row.message_id, status=status)
            return cast(int | None, row.message_id)

    @writes
    def _set(self, delivery_id: int, **values: object) -> None:
        with self.db.write() as tx:
            conn = tx.session.connection()
            conn.execute(update(D).where(D.c.id == delivery_id).values(updated_at=self.now(), **values))
            row = conn.execute(select(M.c.conversation_id, D.c.message_id).join(M, M.c.id == D.c.message_id)
                               .where(D.c.id == delivery_id)).first()
            if row is not None:
                tx.emit(DELIVERY_UPDATED, row.conversation_id, message_id=row.message_id, status=values.get("status"))
