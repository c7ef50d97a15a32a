"""API tokens for integrations: created by an admin, shown once, stored hashed."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select

from helpdesk.models import ApiToken
from helpdesk.services.base import Actor, Service, audit, require_admin, require_text, sha256_hex, writes
from helpdesk.services.errors import NotFound, ValidationFailed

TOKEN_PREFIX = "hd_"
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
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._cache: dict[str, tuple[float, ApiToken]] = {}
        self._cache_lock = threading.Lock()

    def create(self, name: str, *, actor: Actor) -> CreatedToken:
        require_admin(actor, "create API tokens")
        fields: dict[str, str] = {}
        clean_name = require_text(fields, "name", name, 100)
        if fields:
            raise ValidationFailed("the token could not be created", fields)
        return self._insert(clean_name, actor)

    @writes
    def _insert(self, clean_name: str, actor: Actor) -> CreatedToken:
        plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.db.write() as tx:
            token = ApiToken(name=clean_name, token_hash=sha256_hex(plaintext), prefix=plaintext[:8],
                             created_at=self.now())
            tx.session.add(token)
            tx.session.flush()
            audit(tx.session, self.now(), actor, "token.created", token_id=token.id,
                  name=clean_name)
        return CreatedToken(token=token, plaintext=plaintext)

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
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
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
