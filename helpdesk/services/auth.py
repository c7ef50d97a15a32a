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
  device" makes it survive restarts for as long as it is used (it ends after the shop's idle
  limit, 30 days unless set otherwise); otherwise it lasts SESSION_FOR.
- With two-step sign-in (services/twostep.py) the right password gives a short-lived ticket, not
  a session: the code (or a recovery code) turns the ticket into a session. Wrong codes count
  like wrong passwords for that (account, address); a ticket allows MAX_CODE_TRIES.
- Every sign-in, failed sign-in and second step is in the audit log with the address.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy import delete
from sqlmodel import col, select

from helpdesk import events
from helpdesk.config import write_private
from helpdesk.models import Agent, AgentSession
from helpdesk.services.agents import AgentService, end_sessions
from helpdesk.services.base import Actor, Service, audit, require_admin, sha256_hex, stored_id, writes
from helpdesk.services.errors import Forbidden, NotFound, ServiceError
from helpdesk.services.host_facts import DesktopWindow
from helpdesk.services.ratelimit import RateLimiter, wait_in_words
from helpdesk.services.twostep import WINDOW, Enrolment, TwoStepService, on_shop_network
from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database

SETUP_CODE_FILE = "setup-code.txt"
SETUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a screen and typed
REMEMBER_FOR = timedelta(days=30)
SESSION_FOR = timedelta(hours=12)
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES = 8
FIRST_PAUSE = timedelta(seconds=30)
LONGEST_PAUSE = timedelta(minutes=15)
WINDOW_ADDRESS = WINDOW  # the window this process opened: its own address for the counts
TICKET_FOR = timedelta(minutes=5)  # between the password and the code
MAX_CODE_TRIES = 5  # wrong codes on one ticket before the password is asked again
SEEN_EVERY = timedelta(minutes=1)  # a device's "last seen" is written at most this often


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


@dataclass(frozen=True)
class SecondStep:
    """The password was right; a code is asked next (or, when the shop requires the second step
    and the agent has none yet, its set-up: `enrol`)."""

    ticket: str
    agent_name: str
    enrol: bool = False


@dataclass
class _Ticket:
    agent_id: int
    email: str
    remember: bool
    client: str
    address: str
    expires_at: datetime
    enrol: bool
    tries: int = 0


@dataclass(frozen=True)
class Device:
    """A signed-in device, as the account menu lists it."""

    id: int
    what: str  # "Desktop window", "Chrome on Windows"…
    address: str
    signed_in_at: datetime
    last_seen_at: datetime
    this_device: bool


class AuthService(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings, agents: AgentService,
                 attempts: RateLimiter, two_step: TwoStepService, window: DesktopWindow) -> None:
        super().__init__(db, clock, settings)
        self.agents = agents
        self.two_step = two_step
        self._tickets: dict[str, _Ticket] = {}
        self._seen: dict[str, datetime] = {}  # token digest -> when "last seen" was last written
        self.attempts = attempts  # per client address, whatever email is tried
        self._failures: dict[str, list[datetime]] = {}
        self._locked_until: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self._setup_code: str | None = None
        self.desktop_window = window  # the window this process opened, once it has (helpdesk/host/window.py)

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
        return self._start_session(agent, remember, client, WINDOW_ADDRESS if from_window else client_ip or "")

    # ---- sign in ----------------------------------------------------------------

    def sign_in(self, email: str, password: str, remember: bool = False, client_ip: str | None = None,
                client: str = "", from_window: bool = False) -> SignedIn | SecondStep:
        now = self.now()
        # Failed attempts per address, whatever the emails (guessing across accounts), the
        # machine itself included: a web page in a browser on the shop PC is on loopback too.
        # The desktop window (recognised by the OS) counts on its own.
        address = WINDOW_ADDRESS if from_window else client_ip or "unknown"
        key = self._key(email, address)
        if not from_window and (wait := self.attempts.wait(address)):
            raise SignInFailed(f"too many failed sign-ins from this device; try again in {wait_in_words(wait)}", 0)
        self._check_paused(key, now)
        agent = self.agents.authenticate(email, password)
        if agent is None:
            self._failed(key, address, from_window, now, email=email, why="password")
        with self._lock:
            self._failures.pop(key, None)
            self._locked_until.pop(key, None)
        policy = self.two_step.policy()
        enrolled = self.two_step.enabled(agent)
        if enrolled or policy.requires(address):
            if not enrolled and not on_shop_network(address):
                self._note_failure(agent.id, email, address, "second step not set up, asked from outside the shop")
                raise SignInFailed("this shop requires two-step sign-in from outside its network: set it up in the "
                                   "account menu on the shop's network first, or ask an admin", 0)
            ticket = secrets.token_urlsafe(24)
            with self._lock:
                self._tickets = {t: v for t, v in self._tickets.items() if v.expires_at > now}
                self._tickets[ticket] = _Ticket(stored_id(agent), agent.email, remember, client, address,
                                                now + TICKET_FOR, enrol=not enrolled)
            return SecondStep(ticket, agent.name, enrol=not enrolled)
        return self._start_session(agent, remember, client, address, signed_in="password")

    def _key(self, email: str, address: str) -> str:
        return f"{(email or '').strip().lower()}|{address}"

    def _check_paused(self, key: str, now: datetime) -> None:
        with self._lock:
            paused = self._locked_until.get(key)
            if paused and paused > now:
                raise SignInFailed("too many failed attempts from this device; try again in "
                                   f"{wait_in_words((paused - now).total_seconds())}", 0)

    def _failed(self, key: str, address: str, from_window: bool, now: datetime, *, email: str, why: str,
                agent_id: int | None = None) -> NoReturn:
        """Count a wrong password or code for (account, address), note it in the audit log, and raise."""
        if not from_window:
            self.attempts.take(address)
        self._note_failure(agent_id, email, address, why)
        with self._lock:
            recent = [t for t in self._failures.get(key, []) if now - t < FAILURE_WINDOW] + [now]
            self._failures[key] = recent
            if len(recent) >= MAX_FAILURES:  # then a pause that doubles with every further failure
                pause = min(LONGEST_PAUSE, FIRST_PAUSE * 2 ** (len(recent) - MAX_FAILURES))
                self._locked_until[key] = now + pause
                raise SignInFailed("too many failed attempts from this device; try again in "
                                   f"{wait_in_words(pause.total_seconds())}", 0)
        # The delay grows with each failure: 0.5 s, 1 s, 2 s, 4 s…
        raise SignInFailed("wrong email or password" if why == "password" else "that code is not right",
                           min(8.0, 0.25 * 2 ** len(recent)))

    @writes
    def _note_failure(self, agent_id: int | None, email: str, address: str, why: str) -> None:
        with self.db.write() as tx:
            if agent_id is None:
                agent_id = tx.session.exec(select(Agent.id).where(Agent.email == (email or "").strip().lower())).first()
            actor = Actor("system", None, "Helpdesk", origin=address[:64])
            audit(tx.session, self.now(), actor, "agent.sign_in_failed", agent_id=agent_id,
                  email=(email or "")[:254], why=why)

    # ---- the second step ---------------------------------------------------------------------

    def _ticket(self, ticket: str, enrol: bool) -> _Ticket:
        with self._lock:
            held = self._tickets.get(ticket or "")
        if held is None or held.expires_at <= self.now() or held.enrol != enrol:
            raise SignInFailed("the sign-in took too long; enter your email and password again", 0)
        return held

    def finish(self, ticket: str, code: str) -> SignedIn:
        """The code from the authenticator app, or a recovery code, after the password."""
        held = self._ticket(ticket, enrol=False)
        now = self.now()
        key = self._key(held.email, held.address)
        self._check_paused(key, now)
        how = self.two_step.verify(held.agent_id, code)
        if how is None:
            held.tries += 1
            if held.tries >= MAX_CODE_TRIES:
                with self._lock:
                    self._tickets.pop(ticket, None)
            self._failed(key, held.address, held.address == WINDOW_ADDRESS, now, email=held.email, why="code",
                         agent_id=held.agent_id)
        with self._lock:
            self._tickets.pop(ticket, None)
            self._failures.pop(key, None)
        return self._start_session(self.agents.get(held.agent_id), held.remember, held.client, held.address,
                                   signed_in=how)

    def enrolment(self, ticket: str) -> Enrolment:
        """The shop requires the second step and this agent has none: a secret to scan, at sign-in."""
        held = self._ticket(ticket, enrol=True)
        agent = self.agents.get(held.agent_id)
        return self.two_step.begin(held.agent_id, Actor.for_agent(agent, held.address))

    def finish_enrolment(self, ticket: str, code: str) -> tuple[SignedIn, list[str]]:
        """The first code confirms the set-up: a session, and the recovery codes to keep."""
        held = self._ticket(ticket, enrol=True)
        agent = self.agents.get(held.agent_id)
        codes = self.two_step.confirm(held.agent_id, code, Actor.for_agent(agent, held.address))
        with self._lock:
            self._tickets.pop(ticket, None)
        return self._start_session(self.agents.get(held.agent_id), held.remember, held.client, held.address,
                                   signed_in="code (set up now)"), codes

    @writes
    def _start_session(self, agent: Agent, remember: bool, client: str, address: str = "",
                       signed_in: str = "") -> SignedIn:
        token = secrets.token_urlsafe(32)
        now = self.now()
        expires = now + (self._idle_limit() if remember else SESSION_FOR)
        with self.db.write() as tx:
            if signed_in:
                audit(tx.session, now, Actor.for_agent(agent, address), "agent.signed_in", client=client[:200],
                      second_step=None if signed_in == "password" else signed_in)
            tx.session.add(AgentSession(agent_id=stored_id(agent), token_hash=sha256_hex(token), created_at=now,
                                        expires_at=expires, remember=remember, client=client[:300],
                                        last_seen_at=now, address=address[:64]))
        return SignedIn(agent=agent, token=token, expires_at=expires)

    def _idle_limit(self) -> timedelta:
        return timedelta(days=self.two_step.policy().idle_days)

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
        now = self.now()
        if session.expires_at <= now or not agent.active:
            return None
        if session.remember and now - (session.last_seen_at or session.created_at) > self._idle_limit():
            return None  # unused longer than the shop allows (a lowered limit counts at once)
        return agent

    def seen(self, token: str | None) -> None:
        """The device is in use: its "last seen" moves, and a remembered session's idle limit
        starts again (written at most once a minute a device)."""
        if not token:
            return
        digest, now = sha256_hex(token), self.now()
        with self._lock:
            if (last := self._seen.get(digest)) and now - last < SEEN_EVERY:
                return
            self._seen[digest] = now
        self._touch(digest, now)

    @writes
    def _touch(self, digest: str, now: datetime) -> None:
        with self.db.write() as tx:
            session = tx.session.exec(select(AgentSession).where(AgentSession.token_hash == digest)).first()
            if session is not None:
                session.last_seen_at = now
                if session.remember:
                    session.expires_at = now + self._idle_limit()
                tx.session.add(session)

    # ---- devices -------------------------------------------------------------------------------

    def devices(self, agent_id: int, token: str | None = None) -> list[Device]:
        """The agent's signed-in devices, most recently seen first; `token` marks this one."""
        mine = sha256_hex(token) if token else ""
        now = self.now()
        with self.db.read() as s:
            rows = s.exec(select(AgentSession).where(AgentSession.agent_id == agent_id,
                                                     col(AgentSession.expires_at) > now)).all()
        out = [Device(stored_id(r), describe_client(r.client, r.address), r.address or "", r.created_at,
                      r.last_seen_at or r.created_at, r.token_hash == mine) for r in rows]
        return sorted(out, key=lambda d: (not d.this_device, -d.last_seen_at.timestamp()))

    @writes
    def sign_out_device(self, agent_id: int, device_id: int, actor: Actor) -> None:
        if actor.agent_id != agent_id:
            require_admin(actor, "sign out another agent's devices")
        with self.db.write() as tx:
            row = tx.session.get(AgentSession, device_id)
            if row is None or row.agent_id != agent_id:
                raise NotFound("that device is not signed in")
            tx.session.delete(row)
            audit(tx.session, self.now(), actor, "agent.device_signed_out", agent_id=agent_id, device=row.address)
            tx.emit(events.SESSIONS_ENDED, None, agent_id=agent_id)

    @writes
    def sign_out_others(self, token: str, actor: Actor) -> int:
        """Every other device of the agent signed in with this token; returns how many."""
        assert actor.agent_id is not None
        with self.db.write() as tx:
            ended = end_sessions(tx.session, actor.agent_id, sha256_hex(token))
            audit(tx.session, self.now(), actor, "agent.signed_out_others", agent_id=actor.agent_id, sessions=ended)
            tx.emit(events.SESSIONS_ENDED, None, agent_id=actor.agent_id)
            return ended

    def is_current(self, token: str | None) -> bool:
        return self.resume(token) is not None

    @writes
    def sign_out(self, token: str | None) -> None:
        if not token:
            return
        with self.db.write() as tx:
            tx.session.exec(delete(AgentSession).where(
                col(AgentSession.token_hash) == sha256_hex(token)))

    @writes
    def sign_out_everywhere(self, agent_id: int, actor: Actor | None = None) -> int:
        """An admin signs an agent out on every device (also when the account is deactivated)."""
        if actor is not None and actor.agent_id != agent_id:
            require_admin(actor, "sign another agent out")
        with self.db.write() as tx:
            ended = end_sessions(tx.session, agent_id)
            audit(tx.session, self.now(), actor or Actor.system(), "agent.signed_out_everywhere", agent_id=agent_id,
                  sessions=ended)
            tx.emit(events.SESSIONS_ENDED, None, agent_id=agent_id)
            return ended

    @writes
    def purge_expired(self) -> int:
        """Sessions past their end, and remembered ones idle longer than the shop allows."""
        now = self.now()
        idle = now - self._idle_limit()
        with self.db.write() as tx:
            result = tx.session.exec(delete(AgentSession).where(
                (col(AgentSession.expires_at) <= now)
                | (col(AgentSession.remember).is_(True) & (col(AgentSession.last_seen_at) < idle))))
            return result.rowcount or 0


def describe_client(client: str, address: str) -> str:
    """What a device is, in words, from its user agent: "Desktop window", "Firefox on Windows"."""
    if address == WINDOW_ADDRESS:
        return "Desktop window"
    ua = client or ""
    browser = next((name for token, name in (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
                                             ("Chrome/", "Chrome"), ("Safari/", "Safari")) if token in ua), "Browser")
    system = next((name for token, name in (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
                                            ("Windows", "Windows"), ("Mac OS", "macOS"), ("Linux", "Linux"))
                   if token in ua), "")
    return f"{browser} on {system}" if system else browser
