"""API tokens for integrations: created by an admin, shown once, stored hashed."""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, cast

from sqlmodel import col, select

from helpdesk.models import ApiToken
from helpdesk.services.base import SCOPES, Actor, Service, audit, require_admin, require_text, sha256_hex, writes
from helpdesk.services.errors import NotFound, ValidationFailed
from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database

TOKEN_PREFIX = "hd_"
DEFAULT_SCOPES = ("intake", "read")  # what integrations posting messages and reading them back need
_CHANNEL = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def check_scopes(fields: dict[str, str], scopes: Iterable[str]) -> list[str]:
    chosen = [s.strip().lower() for s in scopes if s.strip()]
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown or not chosen:
        fields["scope"] = "choose from " + ", ".join(SCOPES)
    return [s for s in SCOPES if s in chosen]


def check_first_responder(fields: dict[str, str], channel: str | None, scopes: Iterable[str]) -> str | None:
    if not channel:
        return None
    channel = channel.strip().lower()
    if not _CHANNEL.match(channel):
        fields["first_responder"] = "must be a channel name like api, web or email"
    elif "reply" not in scopes:
        fields["first_responder"] = "only a token with the reply scope (a bot) can answer first"
    return channel
def check_display_name(fields: dict[str, str], value: str | None) -> str:
    shown = " ".join((value or "").split())
    if len(shown) > 100:
        fields["display_name"] = "must be at most 100 characters"
    return shown


# Writing last_used_at on every request would add a write to every read.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    plaintext: str  # shown once; never stored


# Intake authenticates every request; a short-lived cache of known-good tokens saves a
# read per message. Revoking through this service clears it at once; a revocation made
# by another process (the CLI) takes effect within this many seconds.
AUTH_CACHE_SECONDS = 5.0


class TokenService(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        super().__init__(db, clock, settings)
        self._cache: dict[str, tuple[float, ApiToken]] = {}
        self._cache_lock = threading.Lock()

    def create(self, name: str, *, actor: Actor, scopes: Iterable[str] = DEFAULT_SCOPES,
               first_responder: str | None = None, display_name: str = "") -> CreatedToken:
        """A token for an integration: `scopes` say what it may do (intake, read, reply, admin);
        a bot token (reply) may be the first responder for a channel's new conversations;
        `display_name` is who customers see writing its replies (else the team's name)."""
        require_admin(actor, "create API tokens")
        fields: dict[str, str] = {}
        clean_name = require_text(fields, "name", name, 100)
        shown = check_display_name(fields, display_name)
        chosen = check_scopes(fields, scopes)
        responder = check_first_responder(fields, first_responder, chosen)
        if fields:
            raise ValidationFailed("the token could not be created", fields)
        return self._insert(clean_name, ",".join(chosen), responder, shown, actor)

    def set_display_name(self, token_id: int, display_name: str, *, actor: Actor) -> ApiToken:
        """Who customers see writing this token's replies ("" for the team's name)."""
        require_admin(actor, "name API tokens")
        fields: dict[str, str] = {}
        shown = check_display_name(fields, display_name)
        if fields:
            raise ValidationFailed("the name was not saved", fields)
        return self._set_display_name(token_id, shown, actor)

    @writes
    def _set_display_name(self, token_id: int, shown: str, actor: Actor) -> ApiToken:
        with self.db.write() as tx:
            token = tx.session.get(ApiToken, token_id)
            if token is None:
                raise NotFound(f"token {token_id} not found")
            token.display_name = shown
            tx.session.add(token)
            audit(tx.session, self.now(), actor, "token.display_name", token_id=token_id, display_name=shown)
            return token

    @writes
    def _insert(self, clean_name: str, scopes: str, first_responder: str | None, display_name: str,
                actor: Actor) -> CreatedToken:
        plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.db.write() as tx:
            token = ApiToken(name=clean_name, token_hash=sha256_hex(plaintext), prefix=plaintext[:8],
                             created_at=self.now(), scopes=scopes, first_responder=first_responder,
                             display_name=display_name)
            tx.session.add(token)
            tx.session.flush()
            audit(tx.session, self.now(), actor, "token.created", token_id=token.id, name=clean_name,
                  scopes=scopes, first_responder=first_responder)
        return CreatedToken(token=token, plaintext=plaintext)

    def set_first_responder(self, token_id: int, channel: str | None, *, actor: Actor) -> ApiToken:
        """Make a bot token answer a channel's new conversations first (None: no longer)."""
        require_admin(actor, "choose a first responder")
        token = next((t for t in self.list() if t.id == token_id), None)
        if token is None:
            raise NotFound(f"token {token_id} not found")
        fields: dict[str, str] = {}
        responder = check_first_responder(fields, channel, token.scopes.split(","))
        if fields:
            raise ValidationFailed("the first responder was not set", fields)
        return self._set_first_responder(token_id, responder, actor)

    @writes
    def _set_first_responder(self, token_id: int, channel: str | None, actor: Actor) -> ApiToken:
        with self.db.write() as tx:
            for other in tx.session.exec(select(ApiToken).where(ApiToken.first_responder == channel)).all() \
                    if channel else []:
                other.first_responder = None  # one bot answers a channel first
                tx.session.add(other)
            token = tx.session.get_one(ApiToken, token_id)
            token.first_responder = channel
            tx.session.add(token)
            audit(tx.session, self.now(), actor, "token.first_responder", token_id=token_id, channel=channel)
            return token

    def first_responder_for(self, conn: Any, channel: str) -> int | None:
        """The live bot token that answers this channel's new conversations, inside a transaction."""
        found = conn.execute(select(ApiToken.id).where(
            col(ApiToken.first_responder) == channel, col(ApiToken.revoked_at).is_(None))).scalar()
        return cast(int | None, found)

    def cached(self, plaintext: str) -> ApiToken | None:
        """The token if it was recently authenticated (no database access: safe on the event loop)."""
        if not plaintext or len(plaintext) > 200:
            return None
        with self._cache_lock:
            cached = self._cache.get(sha256_hex(plaintext))
        if cached is not None and time.monotonic() - cached[0] < AUTH_CACHE_SECONDS:
            return cached[1]
        return None

    def authenticate(self, plaintext: str) -> ApiToken | None:
        """The live token matching this secret, or None. Lookup is by SHA-256, so the
        comparison never touches the secret itself."""
        if not plaintext or len(plaintext) > 200:
            return None
        cached = self.cached(plaintext)
        if cached is not None:
            return cached
        digest = sha256_hex(plaintext)
        with self.db.read() as session:
            token = session.exec(select(ApiToken).where(ApiToken.token_hash == digest)).first()
        if token is None or token.revoked_at is not None:
            return None
        now = self.now()
        if token.id is not None and (token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION):
            self._touch(token.id, now)
        with self._cache_lock:
            if len(self._cache) > 1000:
                self._cache.clear()
            self._cache[digest] = (time.monotonic(), token)
        return token

    @writes
    def _touch(self, token_id: int, now: datetime) -> None:
        with self.db.write() as tx:
            live = tx.session.get(ApiToken, token_id)
            if live is not None:
                live.last_used_at = now
                tx.session.add(live)

    def list(self) -> list[ApiToken]:
        with self.db.read() as session:
            return list(session.exec(select(ApiToken).order_by(col(ApiToken.id))).all())

    def revoke(self, token_id: int, *, actor: Actor) -> ApiToken:
        require_admin(actor, "revoke API tokens")
        return self._revoke(token_id, actor)

    @writes
    def _revoke(self, token_id: int, actor: Actor) -> ApiToken:
        with self.db.write() as tx:
            token = tx.session.get(ApiToken, token_id)
            if token is None:
                raise NotFound(f"token {token_id} not found")
            with self._cache_lock:
                self._cache.pop(token.token_hash, None)
            if token.revoked_at is None:
                token.revoked_at = self.now()
                tx.session.add(token)
                audit(tx.session, self.now(), actor, "token.revoked", token_id=token_id)
            return token
