"""Outbound webhooks from a durable outbox.

Every agent reply and every SLA breach becomes an outbox event in the same transaction
that stores it, with one delivery per subscribed webhook. A worker posts deliveries,
signed with HMAC-SHA256, in order per conversation; a failure is retried with
exponential backoff and jitter, so a receiver that is down for an hour, or a restart in
between, loses nothing. Each event carries a stable id for receivers to de-duplicate.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable
from urllib.parse import urlparse

from sqlalchemy import and_, bindparam, exists, func, insert, select, update
from sqlalchemy.orm import aliased

from helpdesk.events import OUTBOX_ENQUEUED, WEBHOOK_ATTEMPTED
from helpdesk.db.direct import prepared
from helpdesk.models import OutboxEvent, Webhook, WebhookDelivery
from helpdesk.models.tables import OUTBOX_EVENTS as E, WEBHOOKS as W, WEBHOOK_DELIVERIES as D
from helpdesk.services import netpolicy
from helpdesk.services.base import Actor, Service, audit, new_id, require_admin, require_text, same_secret, writes
from helpdesk.services.errors import NotFound, ValidationFailed

# What receivers can subscribe to: the team's replies, customers' messages, missed targets, bots handing over.
WEBHOOK_EVENTS = ("message.created", "message.received", "sla.breached", "conversation.handoff", "rule.fired",
                  "payment.requested", "payment.paid", "payment.cancelled", "note.mention")
TEST_EVENT = "webhook.test"
BACKOFF_FIRST_SECONDS = 5
BACKOFF_MAX_SECONDS = 3600
GIVE_UP_AFTER = timedelta(days=3)
POST_TIMEOUT_SECONDS = 10



def sign(secret: str, timestamp: str, body: bytes) -> str:
    """X-Helpdesk-Signature: "sha256=" + HMAC-SHA256(secret, "<timestamp>.<body>")."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (documented, and used by the tests)."""
    return same_secret(sign(secret, timestamp, body), signature)


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """5 s, 10 s, 20 s … capped at 1 h, each ±20 % so many retries do not arrive together."""
    base = min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** max(0, attempts - 1))
    return timedelta(seconds=base * (rng or random).uniform(0.8, 1.2))


_INSERT_EVENT = prepared(insert(E))  # built once: every message and reply passes here
_ACTIVE_HOOKS = prepared(select(W.c.id, W.c.events).where(W.c.active.is_(True)), settings=True)


def enqueue(conn: Any, type: str, conversation_id: int | None, payload: dict[str, Any], now: datetime,
            only_webhook: int | None = None) -> str:
    """Write an event and its deliveries in the caller's transaction; returns the event id."""
    event_id = str(uuid.uuid4())
    outbox_id = new_id(conn.execute(_INSERT_EVENT, {"event_id": event_id, "type": type,
                                                    "conversation_id": conversation_id, "payload": payload,
                                                    "created_at": now}))
    hooks = conn.execute(_ACTIVE_HOOKS).all()
    rows = [{"outbox_event_id": outbox_id, "webhook_id": h.id, "conversation_id": conversation_id,
             "status": "pending", "attempts": 0, "next_attempt_at": now, "last_error": ""}
            for h in hooks if (h.id == only_webhook if only_webhook is not None else type in (h.events or []))]
    if rows:
        conn.execute(insert(D), rows)
    return event_id


# Built once: a burst of customer messages wakes the worker every COALESCE_SECONDS.
_EARLIER = aliased(D)
_DUE = (select(D.c.id, D.c.attempts, W.c.url, W.c.secret, W.c.allow_local, E.c.event_id, E.c.type, E.c.payload,
               E.c.created_at, D.c.webhook_id)
        .join(W, W.c.id == D.c.webhook_id).join(E, E.c.id == D.c.outbox_event_id)
        .where(D.c.status == "pending", D.c.next_attempt_at <= bindparam("b_now"), W.c.active.is_(True),
               ~and_(D.c.conversation_id.is_not(None), exists().where(and_(
                   _EARLIER.c.webhook_id == D.c.webhook_id, _EARLIER.c.conversation_id == D.c.conversation_id,
                   _EARLIER.c.status == "pending", _EARLIER.c.outbox_event_id < D.c.outbox_event_id))))
        .order_by(D.c.outbox_event_id).limit(bindparam("b_limit")))


@dataclass
class Attempt:
    delivery_id: int
    url: str
    secret: str
    body: bytes
    event_id: str
    type: str
    attempts: int
    created_at: datetime
    allow_local: bool = False
    webhook_id: int = 0


def _status_words(code: int | None) -> str:
    return f"HTTP {code} (redirects are not followed)" if code and 300 <= code < 400 else f"HTTP {code}"


class OutboxService(Service):
    # Tests may replace how a delivery is posted (url, body, headers, allow_local) -> HTTP status.
    post: Callable[[str, bytes, dict[str, str], bool], int] = staticmethod(
        lambda url, body, headers, allow_local: netpolicy.post(url, body, headers, allow_local, POST_TIMEOUT_SECONDS))

    # ---- webhooks ------------------------------------------------------------------------

    @staticmethod
    def _check(url: str, events: list[str], description: str, allow_local: bool) -> tuple[str, list[str], str, bool]:
        fields: dict[str, str] = {}
        url = require_text(fields, "url", url, 500)
        parsed = urlparse(url)
        if "url" not in fields and (parsed.scheme not in ("http", "https") or not parsed.netloc):
            fields["url"] = "must be an http:// or https:// address"
        elif "url" not in fields:
            try:
                netpolicy.resolve(url, allow_local)
            except netpolicy.TargetUnresolved:
                pass  # offline or not yet in DNS: each delivery attempt checks the address again
            except netpolicy.TargetRefused as exc:
                fields["url"] = str(exc)
        chosen = [e for e in WEBHOOK_EVENTS if e in events]
        if not chosen:
            fields["events"] = "choose at least one of " + ", ".join(WEBHOOK_EVENTS)
        description = require_text(fields, "description", description, 200, required=False)
        if fields:
            raise ValidationFailed("the webhook was not saved", fields)
        return url, chosen, description, allow_local

    def update_webhook(self, webhook_id: int, url: str, events: list[str], description: str,
                       actor: Actor, allow_local: bool = False) -> Webhook:
        """Change where a webhook posts and what it receives (pending deliveries go to the new URL).
        `allow_local`: the receiver may be on this computer or the LAN (the admin says so)."""
        require_admin(actor, "manage webhooks")
        return self._update_webhook(webhook_id, *self._check(url, events, description, allow_local), actor)

    @writes
    def _update_webhook(self, webhook_id: int, url: str, chosen: list[str], description: str, allow_local: bool,
                        actor: Actor) -> Webhook:
        with self.db.write() as tx:
            hook = tx.session.get(Webhook, webhook_id)
            if hook is None:
                raise NotFound(f"webhook {webhook_id} not found")
            hook.url, hook.events, hook.description, hook.allow_local = url, chosen, description, allow_local
            tx.session.add(hook)
            audit(tx.session, self.now(), actor, "webhook.updated", webhook_id=webhook_id, url=url, events=chosen)
            return hook

    def create_webhook(self, url: str, events: list[str], description: str, actor: Actor,
                       allow_local: bool = False) -> Webhook:
        require_admin(actor, "manage webhooks")
        return self._create_webhook(*self._check(url, events, description, allow_local), actor)

    @writes
    def _create_webhook(self, url: str, chosen: list[str], description: str, allow_local: bool,
                        actor: Actor) -> Webhook:
        with self.db.write() as tx:
            hook = Webhook(url=url, secret=secrets.token_urlsafe(32), events=chosen, description=description,
                           created_at=self.now(), allow_local=allow_local)
            tx.session.add(hook)
            tx.session.flush()
            audit(tx.session, self.now(), actor, "webhook.created", webhook_id=hook.id, url=url, events=chosen)
            return hook

    def set_active(self, webhook_id: int, active: bool, actor: Actor) -> Webhook:
        require_admin(actor, "manage webhooks")
        return self._set_active(webhook_id, active, actor)

    @writes
    def _set_active(self, webhook_id: int, active: bool, actor: Actor) -> Webhook:
        with self.db.write() as tx:
            hook = tx.session.get(Webhook, webhook_id)
            if hook is None:
                raise NotFound(f"webhook {webhook_id} not found")
            hook.active = active
            tx.session.add(hook)
            audit(tx.session, self.now(), actor, "webhook.enabled" if active else "webhook.disabled",
                  webhook_id=webhook_id)
            return hook

    def webhooks(self) -> list[Webhook]:
        with self.db.read() as s:
            return list(s.execute(select(Webhook).order_by(W.c.id)).scalars().all())

    def deliveries(self, webhook_id: int, limit: int = 50) -> list[tuple[WebhookDelivery, OutboxEvent]]:
        with self.db.read() as s:
            rows = s.execute(select(WebhookDelivery, OutboxEvent)
                             .join(OutboxEvent, E.c.id == D.c.outbox_event_id)
                             .where(D.c.webhook_id == webhook_id)
                             .order_by(D.c.id.desc()).limit(limit)).all()
            return [(d, e) for d, e in rows]

    def send_test(self, webhook_id: int, actor: Actor) -> str:
        require_admin(actor, "send test webhooks")
        return self._send_test(webhook_id)

    @writes
    def _send_test(self, webhook_id: int) -> str:
        with self.db.write() as tx:
            if tx.session.get(Webhook, webhook_id) is None:
                raise NotFound(f"webhook {webhook_id} not found")
            event_id = enqueue(tx.session.connection(), TEST_EVENT, None,
                               {"message": "A test from Helpdesk settings"}, self.now(), only_webhook=webhook_id)
            tx.emit(OUTBOX_ENQUEUED, None)
        return event_id

    # ---- delivery -----------------------------------------------------------------------

    def deliver_due(self, limit: int = 20) -> int:
        """One pass: post every due delivery that is next in line for its conversation.
        The HTTP calls happen outside any database transaction. Returns how many were tried."""
        with self.db.read() as s:
            rows = s.execute(_DUE, {"b_now": self.now(), "b_limit": limit}).all()
        for row in rows:
            body = json.dumps({"id": row.event_id, "type": row.type, "created_at": row.created_at.isoformat(),
                               "data": row.payload}, separators=(",", ":"), ensure_ascii=False).encode()
            self._attempt(Attempt(row.id, row.url, row.secret, body, row.event_id, row.type, row.attempts,
                                  row.created_at, row.allow_local, row.webhook_id))
        return len(rows)

    def _attempt(self, a: Attempt) -> None:
        timestamp = str(int(self.now().timestamp()))
        headers = {"Content-Type": "application/json", "User-Agent": "Helpdesk-Webhooks",
                   "X-Helpdesk-Event": a.type, "X-Helpdesk-Event-Id": a.event_id,
                   "X-Helpdesk-Timestamp": timestamp, "X-Helpdesk-Signature": sign(a.secret, timestamp, a.body)}
        code: int | None = None
        error = ""
        try:
            code = self.post(a.url, a.body, headers, a.allow_local)
        except Exception as exc:  # refused, timed out, DNS: the receiver is down; retry later
            error = f"{exc.__class__.__name__}: {exc}"[:500]
        self._record_attempt(a, code, error)

    @writes
    def _record_attempt(self, a: Attempt, code: int | None, error: str) -> None:
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            tx.emit(WEBHOOK_ATTEMPTED, None, webhook_id=a.webhook_id, delivered=code is not None and 200 <= code < 300)
            if code is not None and 200 <= code < 300:
                conn.execute(update(D).where(D.c.id == a.delivery_id).values(
                    status="delivered", attempts=a.attempts + 1, last_status_code=code, last_error="",
                    delivered_at=now))
                return
            attempts = a.attempts + 1
            gave_up = now - a.created_at > GIVE_UP_AFTER
            conn.execute(update(D).where(D.c.id == a.delivery_id).values(
                status="failed" if gave_up else "pending", attempts=attempts, last_status_code=code,
                last_error=error or _status_words(code), next_attempt_at=now + backoff(attempts)))

    def events_after(self, after: int, limit: int = 100) -> list[Any]:
        """Outbox events with a number above `after`, oldest first: what the events API serves,
        with the same ids webhooks carry."""
        with self.db.read() as s:
            return list(s.execute(select(E.c.id, E.c.event_id, E.c.type, E.c.created_at, E.c.payload)
                                  .where(E.c.id > after, E.c.type != TEST_EVENT).order_by(E.c.id).limit(limit)))

    def last_event_number(self) -> int:
        with self.db.read() as s:
            return int(s.execute(select(func.coalesce(func.max(E.c.id), 0))).scalar_one())

    def pending_count(self) -> int:
        with self.db.read() as s:
            return int(s.execute(select(func.count()).select_from(D).where(D.c.status == "pending")).scalar_one())
