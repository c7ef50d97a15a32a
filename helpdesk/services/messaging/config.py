"""Messaging channels as configuration (admins): an Android phone running SMS Gateway for Android
on the LAN, a Telegram bot, a Twilio account (SMS and WhatsApp), the website chat. Each kind's
settings are checked by its module in services/channel_kinds/; its secrets (the phone's password
and signing key, the bot token, the auth token) are kept like mailbox passwords, never shown
back; and what the channel worker records as it works (last contact, last error, its cursor)
lives here too."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable
from urllib.parse import quote, urlsplit

from sqlalchemy import func, select, update
from sqlmodel import col

from helpdesk.events import CHANNEL_CHANGED
from helpdesk.models import Channel
from helpdesk.models.tables import CHANNELS as C, DELIVERIES as D
from helpdesk.services.base import Actor, Service, audit, require_admin, stored_id, writes
from helpdesk.services.channel_kinds import REGISTRY, Given
from helpdesk.services.errors import Conflict, NotFound, ValidationFailed
from helpdesk.services.mail.secrets import SecretBox
from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database



def carries(kind: str, config: dict[str, Any]) -> tuple[str, ...]:
    """What a channel of `kind` with these settings carries: the delivery channels its replies use."""
    return REGISTRY[kind].carried_by(config) if kind in REGISTRY else ()


def webhook_path(kind: str, name: str) -> str:
    """Where a channel's webhooks reach Helpdesk (the phone's and Twilio's requests)."""
    return REGISTRY[kind].hook_path + quote(name, safe="")


def callback_url(channel: Channel, lan_url: str) -> str:
    """The full address the phone posts texts to. A shop gives the address the phone reaches
    Helpdesk by (`https://helpdesk.shop.lan:8443`): with no path, the webhook's path is added;
    a full path (behind a proxy's prefix) is kept as given. None given: this PC's LAN address."""
    given = str(channel.config.get("callback_url") or "").rstrip("/")
    path = webhook_path(channel.kind, channel.name)
    if not given:
        return lan_url.rstrip("/") + path
    return given + path if urlsplit(given).path in ("", "/") else given


@dataclass(frozen=True)
class ChannelView:
    """A channel as Settings and `channel list` show it: no secrets."""

    id: int
    kind: str
    name: str
    summary: str  # e.g. "http://sms:••••@192.168.1.50:8080, signed"
    active: bool
    last_contact_at: datetime | None
    last_error: str
    waiting: int
    last_webhook_at: datetime | None = None  # when the far end last reached us (the phone's texts)


def check_settings(kind: str, given: dict[str, Any], current: dict[str, Any] | None,
                   current_secrets: dict[str, str] | None, default_region: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """A kind's settings, checked by its module (services/channel_kinds/): (config without
    secrets, secrets). Raises ValidationFailed naming each bad field. Secrets left out (or
    masked) on an edit keep their stored value."""
    if kind not in REGISTRY:
        raise ValidationFailed("the channel was not saved", {"kind": f"must be one of {', '.join(REGISTRY)}"})
    checking = Given(given, current or {}, dict(current_secrets or {}), default_region)
    REGISTRY[kind].check(checking)
    if checking.fields:
        raise ValidationFailed("the channel was not saved", checking.fields)
    return checking.config, {k: v for k, v in checking.secrets.items() if v}


def summary(kind: str, config: dict[str, Any], secrets: dict[str, str] | None = None) -> str:
    """One line for lists, with nothing secret in it."""
    return REGISTRY[kind].summary(config, secrets or {}) if kind in REGISTRY else ""


class ChannelService(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings, secret_box: Callable[[], SecretBox]) -> None:
        super().__init__(db, clock, settings)
        self._box = secret_box

    # ---- the admin's side ---------------------------------------------------------------

    def add(self, kind: str, name: str, given: dict[str, Any], actor: Actor) -> Channel:
        require_admin(actor, "add channels")
        name = (name or "").strip()
        if not 0 < len(name) <= 100:
            raise ValidationFailed("the channel was not saved", {"name": "must be 1 to 100 characters"})
        config, secrets = check_settings(kind, given, None, None, self.settings.default_phone_region)
        with self.db.read() as s:  # before the keyring: its entry is named after the channel
            if s.execute(select(col(Channel.id)).where(col(Channel.name) == name)).first():
                raise Conflict(f"there is already a channel called {name}", {"name": "already used"})
        return self._add(kind, name, config, self._lock_away(name, secrets), actor)

    def _lock_away(self, name: str, secrets: dict[str, Any]) -> tuple[str, str]:
        """The secrets into the keyring (or encrypted) before the write, never on the writer
        thread (a keyring may take seconds): (store, what the row keeps)."""
        return self._box().put(f"channel/{name}", "secrets", json.dumps(secrets) if secrets else "")

    @writes
    def _add(self, kind: str, name: str, config: dict[str, Any], kept: tuple[str, str], actor: Actor) -> Channel:
        now = self.now()
        with self.db.write() as tx:
            if tx.session.execute(select(Channel).where(col(Channel.name) == name)).first():
                raise Conflict(f"there is already a channel called {name}", {"name": "already used"})
            channel = Channel(kind=kind, name=name, config=config, state={}, active=True, created_at=now,
                              updated_at=now)
            channel.secret_store, channel.secret = kept
            tx.session.add(channel)
            tx.session.flush()
            audit(tx.session, now, actor, "channel.added", kind=kind, name=name)
            tx.emit(CHANNEL_CHANGED, None, channel_id=channel.id)
            return channel

    def update(self, channel_id: int, given: dict[str, Any], actor: Actor, active: bool | None = None) -> Channel:
        require_admin(actor, "change channels")
        current = self.get(channel_id)
        config, secrets = check_settings(current.kind, given, current.config, self.secrets_of(current),
                                         self.settings.default_phone_region)
        return self._update(channel_id, config, self._lock_away(current.name, secrets), active, actor)

    @writes
    def _update(self, channel_id: int, config: dict[str, Any], kept: tuple[str, str], active: bool | None,
                actor: Actor) -> Channel:
        now = self.now()
        with self.db.write() as tx:
            channel = tx.session.get(Channel, channel_id)
            if channel is None:
                raise NotFound(f"channel {channel_id} not found")
            channel.config = config
            channel.secret_store, channel.secret = kept
            if active is not None:
                channel.active = active
            channel.last_error, channel.updated_at = "", now
            tx.session.add(channel)
            audit(tx.session, now, actor, "channel.changed", name=channel.name)
            tx.emit(CHANNEL_CHANGED, None, channel_id=channel_id)
            return channel

    def remove(self, channel_id: int, actor: Actor) -> None:
        require_admin(actor, "remove channels")
        channel = self._remove(channel_id, actor)
        self._box().forget(f"channel/{channel.name}", "secrets", channel.secret_store)

    @writes
    def _remove(self, channel_id: int, actor: Actor) -> Channel:
        with self.db.write() as tx:
            channel = tx.session.get(Channel, channel_id)
            if channel is None:
                raise NotFound(f"channel {channel_id} not found")
            tx.session.delete(channel)
            audit(tx.session, self.now(), actor, "channel.removed", name=channel.name)
            tx.emit(CHANNEL_CHANGED, None, channel_id=channel_id)
            return channel

    # ---- reading ---------------------------------------------------------------------------

    def get(self, channel_id: int) -> Channel:
        with self.db.read() as s:
            channel = s.get(Channel, channel_id)
        if channel is None:
            raise NotFound(f"channel {channel_id} not found")
        return channel

    def by_name(self, name: str) -> Channel:
        with self.db.read() as s:
            channel: Channel | None = s.execute(select(Channel).where(col(Channel.name) == name)).scalars().first()
        if channel is None:
            raise NotFound(f"there is no channel called {name}")
        return channel

    def all(self) -> list[Channel]:
        with self.db.read() as s:
            return list(s.execute(select(Channel).order_by(col(Channel.name))).scalars().all())

    def secrets_of(self, channel: Channel) -> dict[str, str]:
        """The channel's secrets, for its worker (never shown)."""
        text = self._box().get(f"channel/{channel.name}", "secrets", channel.secret_store, channel.secret,
                               what=f"the secrets of the channel {channel.name} (Settings › Channels)")
        return json.loads(text) if text else {}

    def views(self) -> list[ChannelView]:
        waiting = self.waiting_by_kind()
        out = []
        for c in self.all():
            try:
                secrets = self.secrets_of(c)
            except Exception:
                secrets = {}
            out.append(ChannelView(stored_id(c), c.kind, c.name, summary(c.kind, c.config, secrets), c.active,
                                   c.last_contact_at, c.last_error,
                                   sum(waiting.get(k, 0) for k in carries(c.kind, c.config)), c.last_webhook_at))
        return out

    def waiting_by_kind(self) -> dict[str, int]:
        with self.db.read() as s:
            rows = s.execute(select(D.c.channel, func.count(D.c.id)).where(
                D.c.status.in_(("queued", "sending")), D.c.channel.in_(("sms", "whatsapp", "telegram")))
                .group_by(D.c.channel)).all()
        return {r[0]: int(r[1]) for r in rows}

    def version(self) -> tuple[Any, ...]:
        with self.db.read() as s:
            row = s.execute(select(func.count(C.c.id), func.max(C.c.updated_at), func.sum(C.c.id))).first()
        return tuple(row) if row else ()

    def carrying(self, kind: str) -> list[Channel]:
        """Active channels that carry this delivery channel (sms, whatsapp, telegram)."""
        return [c for c in self.all() if c.active and kind in carries(c.kind, c.config)]

    def trouble(self) -> str:
        """The banner's words when a channel is down, else ""."""
        waiting = self.waiting_by_kind()
        for c in self.all():
            if c.active and c.last_error:
                count = sum(waiting.get(k, 0) for k in carries(c.kind, c.config))
                held = f": {count} repl{'y' if count == 1 else 'ies'} waiting" if count else ""
                return f"{c.name} is offline{held} ({c.last_error})"
        return ""

    # ---- the worker's record -------------------------------------------------------------------

    @writes
    def webhook_arrived(self, channel_id: int) -> None:
        """A signed (or LAN) webhook of this channel got through: Settings shows when."""
        with self.db.write() as tx:
            tx.session.connection().execute(update(C).where(C.c.id == channel_id).values(
                last_webhook_at=self.now(), last_contact_at=self.now()))

    @writes
    def contact(self, channel_id: int, error: str = "", state: dict[str, Any] | None = None) -> None:
        """The channel answered (error "") or did not (the reason); `state`: its cursor to keep."""
        values: dict[str, object] = {"last_error": error[:500]}
        if not error:
            values["last_contact_at"] = self.now()
        if state is not None:
            values["state"] = state
        with self.db.write() as tx:
            conn = tx.session.connection()
            before = conn.execute(select(C.c.last_error).where(C.c.id == channel_id)).scalar()
            conn.execute(update(C).where(C.c.id == channel_id).values(**values))
            if before is not None and before != values["last_error"]:
                tx.emit(CHANNEL_CHANGED, None, channel_id=channel_id, status=True)
