"""Signing in: the first owner account, sessions per device, and slowing down guessing.

- The very first account needs the one-time setup code Helpdesk prints where it was started
  (and writes to setup-code.txt in its data folder, owner-only), as Jupyter does; only the
  desktop window this process opened, recognised by the OS, may skip it. Being on loopback
  proves nothing: any web page in a browser on the shop PC is on loopback too.
- Failed sign-ins are counted per (account, address), so nobody elsewhere can lock an agent
  out: each failure waits a little longer (0.5 s doubling), and past MAX_FAILURES within the
  window that address waits a growing pause (30 s doubling, at most LONGEST_PAUSE) before it
  may try that account again; the right password from another address, or from the desktop
  window this process opened, is never held up by them. Failed attempts from one address are
  also limited whatever the emails (guessing one password across accounts).
- A session token lives on the device; only its SHA-256 is stored. "Remember this
  device" makes it last REMEMBER_FOR and survive restarts; otherwise SESSION_FOR.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import col, select

from helpdesk.config import write_private
from helpdesk.models import Agent, AgentSession
from helpdesk.services.agents import AgentService
from helpdesk.services.base import Actor, Service, audit, sha256_hex, writes
from helpdesk.services.errors import Forbidden, ServiceError
from helpdesk.services.ratelimit import RateLimiter, wait_in_words
from helpdesk.window import DesktopWindow

SETUP_CODE_FILE = "setup-code.txt"
SETUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a screen and typed
REMEMBER_FOR = timedelta(days=30)
SESSION_FOR = timedelta(hours=12)
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES = 8
FIRST_PAUSE = timedelta(seconds=30)
LONGEST_PAUSE = timedelta(minutes=15)
WINDOW_ADDRESS = "the desktop window"  # the window this process opened: its own address for the counts


class SignInFailed(ServiceError):
    code = "sign_in_failed"

    def __init__(self, message: str, delay_seconds: float = 0.0) -> None:
        super().__init__(message)
        self.delay_seconds = delay_seconds


def is_loopback(address: str | None) -> bool:
    if not address:
        return False
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return address == "localhost"


@dataclass(frozen=True)
class SignedIn:
    agent: Agent
    token: str  # give to the device; never stored in plain text
    expires_at: datetime


class AuthService(Service):
    def __init__(self, db, clock, settings, agents: AgentService,  # type: ignore[no-untyped-def]
                 attempts: RateLimiter) -> None:
        super().__init__(db, clock, settings)
        self.agents = agents
        self.attempts = attempts  # per client address, whatever email is tried
        self._failures: dict[str, list[datetime]] = {}
        self._locked_until: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self._setup_code: str | None = None
        self.desktop_window = DesktopWindow()  # the window this process opened, once it has

    # ---- first run ------------------------------------------------------------

    def needs_owner(self) -> bool:
        return self.agents.count() == 0

    def setup_code(self) -> str | None:
        """The one-time code that lets whoever started Helpdesk create the owner account,
        while there is none; also written to setup-code.txt in the data folder (0600)."""
        if not self.needs_owner():
            return None
        with self._lock:
            if self._setup_code is None:
                raw = "".join(secrets.choice(SETUP_ALPHABET) for _ in range(8))
                self._setup_code = f"{raw[:4]}-{raw[4:]}"
                write_private(self.settings.data_dir / SETUP_CODE_FILE, self._setup_code + "\n")
            return self._setup_code

    def create_owner(self, email: str, name: str, password: str, setup_code: str | None = None,
                     from_window: bool = False, client_ip: str | None = None, remember: bool = True,
                     client: str = "") -> SignedIn:
        """The first account (an admin), once: with the setup code, or from the desktop window."""
        if not self.needs_owner():
            raise Forbidden("the owner account already exists; sign in instead")
        if not from_window:
            address = client_ip or "unknown"
            if wait := self.attempts.wait(address):
                raise Forbidden(f"too many wrong setup codes from this device; try again in {wait_in_words(wait)}")
            expected = self.setup_code() or ""
            given = "".join(c for c in (setup_code or "").upper() if c.isalnum())
            if not hmac.compare_digest(given.encode(), expected.replace("-", "").encode()):
                self.attempts.take(address)
                raise Forbidden("the setup code is not right: it is shown where Helpdesk was started, and in "
                                f"{SETUP_CODE_FILE} in its data folder", {"setup_code": "is not right"})
        agent = self.agents.create(email, name, password, role="admin", actor=Actor.system())
        with self._lock:
            self._setup_code = None
        (self.settings.data_dir / SETUP_CODE_FILE).unlink(missing_ok=True)
        return self._start_session(agent, remember, client)

    # ---- sign in ----------------------------------------------------------------

    def sign_in(self, email: str, password: str, remember: bool = False, client_ip: str | None = None,
                client: str = "", from_window: bool = False) -> SignedIn:
        now = self.now()
        # Failed attempts per address, whatever the emails (guessing across accounts), the
        # machine itself included: a web page in a browser on the shop PC is on loopback too.
        # The desktop window (recognised by the OS) counts on its own.
        address = WINDOW_ADDRESS if from_window else client_ip or "unknown"
        key = f"{(email or '').strip().lower()}|{address}"
        if not from_window and (wait := self.attempts.wait(address)):
            raise SignInFailed(f"too many failed sign-ins from this device; try again in {wait_in_words(wait)}", 0)
        with self._lock:
            paused = self._locked_until.get(key)
            if paused and paused > now:
                raise SignInFailed("too many failed attempts from this device; try again in "
                                   f"{wait_in_words((paused - now).total_seconds())}", 0)
        agent = self.agents.authenticate(email, password)
        if agent is None:
            if not from_window:
                self.attempts.take(address)
            with self._lock:
                recent = [t for t in self._failures.get(key, []) if now - t < FAILURE_WINDOW] + [now]
                self._failures[key] = recent
                if len(recent) >= MAX_FAILURES:  # then a pause that doubles with every further failure
                    pause = min(LONGEST_PAUSE, FIRST_PAUSE * 2 ** (len(recent) - MAX_FAILURES))
                    self._locked_until[key] = now + pause
                    raise SignInFailed("too many failed attempts from this device; try again in "
                                       f"{wait_in_words(pause.total_seconds())}", 0)
            # The delay grows with each failure: 0.5 s, 1 s, 2 s, 4 s…
            raise SignInFailed("wrong email or password", min(8.0, 0.25 * 2 ** len(recent)))
        with self._lock:
            self._failures.pop(key, None)
            self._locked_until.pop(key, None)
        return self._start_session(agent, remember, client, signed_in=True)

    @writes
    def _start_session(self, agent: Agent, remember: bool, client: str, signed_in: bool = False) -> SignedIn:
        token = secrets.token_urlsafe(32)
        now = self.now()
        expires = now + (REMEMBER_FOR if remember else SESSION_FOR)
        with self.db.write() as tx:
            if signed_in:
                audit(tx.session, now, Actor.for_agent(agent), "agent.signed_in", client=client[:200])
            tx.session.add(AgentSession(agent_id=agent.id, token_hash=sha256_hex(token), created_at=now,  # type: ignore[arg-type]
                                        expires_at=expires, remember=remember, client=client[:300]))
        return SignedIn(agent=agent, token=token, expires_at=expires)

    def resume(self, token: str | None) -> Agent | None:
        """The active agent behind a device's session token, or None if it expired or was revoked."""
        if not token or len(token) > 200:
            return None
        with self.db.read() as s:
            row = s.exec(select(AgentSession, Agent).join(Agent, col(Agent.id) == AgentSession.agent_id)
                         .where(AgentSession.token_hash == sha256_hex(token))).first()
        if row is None:
            return None
        session, agent = row
        if session.expires_at <= self.now() or not agent.active:
            return None
        return agent

    @writes
    def sign_out(self, token: str | None) -> None:
        if not token:
            return
        with self.db.write() as tx:
            tx.session.exec(delete(AgentSession).where(  # type: ignore[call-overload]
                col(AgentSession.token_hash) == sha256_hex(token)))

    @writes
    def sign_out_everywhere(self, agent_id: int) -> None:
        with self.db.write() as tx:
            tx.session.exec(delete(AgentSession).where(col(AgentSession.agent_id) == agent_id))  # type: ignore[call-overload]

    @writes
    def purge_expired(self) -> int:
        with self.db.write() as tx:
            result = tx.session.exec(delete(AgentSession).where(  # type: ignore[call-overload]
                col(AgentSession.expires_at) <= self.now()))
            return result.rowcount or 0
