"""Messaging channels as configuration (admins): an Android phone running SMS Gateway for
Android on the LAN, a Telegram bot, a Twilio account (SMS and WhatsApp). Each kind's
settings are checked here; its secrets (the phone's password and signing key, the bot
token, the auth token) are kept like mailbox passwords, never shown back; and what the
channel worker records as it works (last contact, last error, its cursor) lives here too."""

from __future__ import annotations

import json
import secrets as secrets_module
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable
from urllib.parse import quote, unquote, urlsplit

from sqlalchemy import func, select, update

from helpdesk.events import CHANNEL_CHANGED
from helpdesk.models import Channel
from helpdesk.models.tables import CHANNELS as C, DELIVERIES as D
from helpdesk.services.base import Actor, Service, audit, require_admin, writes
from helpdesk.services.customers import normalize_phone
from helpdesk.services.errors import Conflict, NotFound, ValidationFailed
from helpdesk.services.mail.secrets import SecretBox

KINDS = ("sms-gateway", "telegram", "twilio", "website")
# What a configured channel carries: the delivery channel names its replies use.
CARRIES = {"sms-gateway": ("sms",), "telegram": ("telegram",), "twilio": ("sms", "whatsapp"), "website": ()}
SECRET_FIELDS = {"sms-gateway": ("password", "signing_key"), "telegram": ("token",), "twilio": ("auth_token",),
                 "website": ("user_secret",)}
TELEGRAM_API = "https://api.telegram.org"
TWILIO_API = "https://api.twilio.com"
MASK = "••••"
HOOK_PATHS = {"sms-gateway": "/api/v1/channels/sms-gateway/", "twilio": "/api/v1/channels/twilio/"}


def webhook_path(kind: str, name: str) -> str:
    """Where a channel's webhooks reach Helpdesk (the phone's and Twilio's requests)."""
    return HOOK_PATHS[kind] + quote(name, safe="")


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


def _check_url(fields: dict[str, str], name: str, value: str, schemes: tuple[str, ...]) -> str:
    value = (value or "").strip().rstrip("/")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        fields[name] = "is not a valid URL"
        return value
    if parts.scheme not in schemes or not parts.hostname:
        fields[name] = f"must be a URL starting with {' or '.join(s + '://' for s in schemes)}"
    return value


def check_settings(kind: str, given: dict[str, Any], current: dict[str, Any] | None,
                   current_secrets: dict[str, str] | None, default_region: str | None) -> tuple[dict, dict]:
    """A kind's settings, checked: (config without secrets, secrets). Raises ValidationFailed
    naming each bad field. Secrets left out (or masked) on an edit keep their stored value."""
    fields: dict[str, str] = {}
    config: dict[str, Any] = {}
    secrets = dict(current_secrets or {})
    current = current or {}

    def secret(name: str, required: bool) -> None:
        value = given.get(name)
        if value not in (None, "", MASK):
            secrets[name] = str(value)
        elif required and not secrets.get(name):
            fields[name] = "is needed"

    if kind == "sms-gateway":
        url = given.get("url") or current.get("url", "")
        url = _check_url(fields, "url", url, ("http", "https"))
        if "url" not in fields:
            parts = urlsplit(url)
            if parts.password and unquote(parts.password) != MASK:
                secrets["password"] = unquote(parts.password)
            user = unquote(parts.username or "sms")
            host = parts.hostname or ""
            port = f":{parts.port}" if parts.port else ""
            config["url"] = f"{parts.scheme}://{quote(user, safe='')}@{host}{port}"
            if not secrets.get("password"):
                fields["url"] = "needs the app's password: http://sms:PASSWORD@PHONE-IP:8080"
        callback = given.get("callback_url", current.get("callback_url", "")) or ""
        config["callback_url"] = _check_url(fields, "callback_url", callback, ("http", "https")) if callback else ""
        secret("signing_key", required=False)
    elif kind == "telegram":
        secret("token", required=True)
        token = secrets.get("token", "")
        if token and (":" not in token or len(token) > 100 or any(c.isspace() for c in token)):
            fields["token"] = "does not look like a bot token (123456:ABC…, from @BotFather)"
        config["api_url"] = _check_url(fields, "api_url", given.get("api_url") or current.get("api_url") or
                                       TELEGRAM_API, ("http", "https"))
    elif kind == "twilio":
        sid = (given.get("account_sid") or current.get("account_sid") or "").strip()
        if not (sid.startswith("AC") and 10 <= len(sid) <= 64 and sid.isalnum()):
            fields["account_sid"] = "must be the Account SID from the Twilio console (AC…)"
        config["account_sid"] = sid
        secret("auth_token", required=True)
        sender = (given.get("from") or current.get("from") or "").strip()
        whatsapp = sender.startswith("whatsapp:")
        number = normalize_phone(sender.removeprefix("whatsapp:"), default_region) if sender else None
        if number is None:
            fields["from"] = "must be the Twilio number to send from, like +15550100 (or whatsapp:+15550100)"
        config["from"] = f"whatsapp:{number}" if whatsapp else number
        wa = (given.get("whatsapp_from") or current.get("whatsapp_from") or "").strip().removeprefix("whatsapp:")
        config["whatsapp_from"] = normalize_phone(wa, default_region) if wa else None
        if wa and config["whatsapp_from"] is None:
            fields["whatsapp_from"] = "must be the WhatsApp sender number, like +15550100"
        config["api_url"] = _check_url(fields, "api_url", given.get("api_url") or current.get("api_url") or
                                       TWILIO_API, ("http", "https"))
    elif kind == "website":
        origins = given.get("origins", current.get("origins", []))
        origins = [origins] if isinstance(origins, str) else list(origins or [])
        clean = []
        for origin in origins:
            parts = urlsplit(str(origin).strip().rstrip("/"))
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
                fields["origins"] = f"{origin!s:.80} is not a site address like https://myshop.com"
                break
            clean.append(f"{parts.scheme}://{parts.netloc.lower()}")
        if not clean and "origins" not in fields:
            fields["origins"] = "name the site that embeds the chat, like https://myshop.com"
        config["origins"] = clean
        # The snippet's public key (not a secret: it is in the site's HTML) and the secret that
        # signs logged-in users' ids: both made once and kept.
        config["key"] = current.get("key") or secrets_module.token_urlsafe(12)
        secrets.setdefault("user_secret", secrets_module.token_urlsafe(32))
    else:
        fields["kind"] = f"must be one of {', '.join(KINDS)}"
    if fields:
        raise ValidationFailed("the channel was not saved", fields)
    return config, {k: v for k, v in secrets.items() if v}


def summary(kind: str, config: dict, secrets: dict[str, str] | None = None) -> str:
    """One line for lists, with nothing secret in it."""
    if kind == "sms-gateway":
        user_host = config.get("url", "").split("://", 1)
        url = f"{user_host[0]}://{user_host[1].replace('@', ':' + MASK + '@', 1)}" if len(user_host) == 2 else ""
        return url + (", signed" if (secrets or {}).get("signing_key") else "")
    if kind == "telegram":
        return "bot token ••••" + ("" if config.get("api_url") == TELEGRAM_API else f", API {config.get('api_url')}")
    if kind == "website":
        return "chat on " + ", ".join(config.get("origins", []))
    if kind == "twilio":
        wa = f", WhatsApp {config['whatsapp_from']}" if config.get("whatsapp_from") else ""
        return f"{config.get('account_sid', '')}, from {config.get('from', '')}{wa}"
    return ""


class ChannelService(Service):
    def __init__(self, db, clock, settings, secret_box: Callable[[], SecretBox]) -> None:  # type: ignore[no-untyped-def]
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
            if s.exec(select(Channel.id).where(Channel.name == name)).first():  # type: ignore[call-overload]
                raise Conflict(f"there is already a channel called {name}", {"name": "already used"})
        return self._add(kind, name, config, self._lock_away(name, secrets), actor)

    def _lock_away(self, name: str, secrets: dict) -> tuple[str, str]:
        """The secrets into the keyring (or encrypted) before the write, never on the writer
        thread (a keyring may take seconds): (store, what the row keeps)."""
        return self._box().put(f"channel/{name}", "secrets", json.dumps(secrets) if secrets else "")

    @writes
    def _add(self, kind: str, name: str, config: dict, kept: tuple[str, str], actor: Actor) -> Channel:
        now = self.now()
        with self.db.write() as tx:
            if tx.session.exec(select(Channel).where(Channel.name == name)).first():  # type: ignore[call-overload]
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
    def _update(self, channel_id: int, config: dict, kept: tuple[str, str], active: bool | None,
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
            channel = s.exec(select(Channel).where(Channel.name == name)).scalars().first()  # type: ignore[call-overload]
        if channel is None:
            raise NotFound(f"there is no channel called {name}")
        return channel

    def all(self) -> list[Channel]:
        with self.db.read() as s:
            return list(s.exec(select(Channel).order_by(Channel.name)).scalars().all())  # type: ignore[call-overload]

    def secrets_of(self, channel: Channel) -> dict[str, str]:
        """The channel's secrets, for its worker (never shown)."""
        text = self._box().get(f"channel/{channel.name}", "secrets", channel.secret_store, channel.secret,
                               what=f"the secrets of the channel {channel.name} (Settings → Channels)")
        return json.loads(text) if text else {}

    def views(self) -> list[ChannelView]:
        waiting = self.waiting_by_kind()
        out = []
        for c in self.all():
            try:
                secrets = self.secrets_of(c)
            except Exception:
                secrets = {}
            out.append(ChannelView(c.id, c.kind, c.name, summary(c.kind, c.config, secrets), c.active,  # type: ignore[arg-type]
                                   c.last_contact_at, c.last_error,
                                   sum(waiting.get(k, 0) for k in CARRIES.get(c.kind, ())), c.last_webhook_at))
        return out

    def waiting_by_kind(self) -> dict[str, int]:
        with self.db.read() as s:
            rows = s.execute(select(D.c.channel, func.count(D.c.id)).where(
                D.c.status.in_(("queued", "sending")), D.c.channel.in_(("sms", "whatsapp", "telegram")))
                .group_by(D.c.channel)).all()
        return {r[0]: int(r[1]) for r in rows}

    def version(self) -> tuple:
        with self.db.read() as s:
            row = s.execute(select(func.count(C.c.id), func.max(C.c.updated_at), func.sum(C.c.id))).first()
        return tuple(row) if row else ()

    def carrying(self, kind: str) -> list[Channel]:
        """Active channels that carry this delivery channel (sms, whatsapp, telegram)."""
        return [c for c in self.all() if c.active and kind in CARRIES.get(c.kind, ())
                and (kind != "whatsapp" or c.config.get("whatsapp_from") or str(c.config.get("from", "")).startswith("whatsapp:"))
                and (kind != "sms" or c.kind != "twilio" or not str(c.config.get("from", "")).startswith("whatsapp:"))]

    def trouble(self) -> str:
        """The banner's words when a channel is down, else ""."""
        waiting = self.waiting_by_kind()
        for c in self.all():
            if c.active and c.last_error:
                count = sum(waiting.get(k, 0) for k in CARRIES.get(c.kind, ()))
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
    def contact(self, channel_id: int, error: str = "", state: dict | None = None) -> None:
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
