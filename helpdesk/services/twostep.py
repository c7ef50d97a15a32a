"""Two-step sign-in (TOTP, RFC 6238): an agent scans a QR code into any authenticator app,
confirms one code, and gets ten single-use recovery codes (kept as digests, shown once).

- A code is good once: the time step of the last accepted code is stored, so the same code (or
  an earlier one still inside the clock-drift window) is refused after it was used.
- The owner may require the second step for everyone, or only for sign-ins from outside the
  shop's network (policy below). Setting it up during a sign-in is allowed only on the shop's
  network: a password alone, from the internet, must not be enough to attach an attacker's phone.
- An admin resets a lost phone; the owner at the PC uses `helpdesk agent reset-2fa EMAIL`.
  A reset ends every session of that agent."""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyotp
from helpdesk import events
from helpdesk.models import Agent, AppSetting
from helpdesk.services.agents import end_sessions
from helpdesk.services.base import Actor, Service, audit, require_admin, sha256_hex, writes
from helpdesk.services.errors import Conflict, Forbidden, NotFound, ValidationFailed

ISSUER = "Helpdesk"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # read off paper and typed: no 0/O, 1/I
POLICY_KEY = "security"
POLICIES = ("off", "everyone", "outside_lan")
DEFAULT_IDLE_DAYS = 30
WINDOW = "the desktop window"


@dataclass(frozen=True)
class SecurityPolicy:
    two_step: str = "off"  # off | everyone | outside_lan
    idle_days: int = DEFAULT_IDLE_DAYS  # a device unused this long is signed out

    def requires(self, address: str) -> bool:
        return self.two_step == "everyone" or (self.two_step == "outside_lan" and not on_shop_network(address))


def on_shop_network(address: str | None) -> bool:
    """The desktop window, this machine and private (LAN) addresses. A tunnel on the shop PC
    connects from loopback: owners who let agents in through one choose "everyone"."""
    if address == WINDOW:
        return True
    try:
        ip = ipaddress.ip_address((address or "").strip("[]"))
    except ValueError:
        return False  # unknown: treated as outside, the safe side
    return ip.is_private or ip.is_loopback or ip.is_link_local


def _recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _normal_recovery(code: str) -> str:
    return "".join(c for c in (code or "").upper() if c.isalnum())


def _recovery_digest(code: str) -> str:
    return sha256_hex("recovery:" + _normal_recovery(code))


def looks_like_recovery(code: str) -> bool:
    return len(_normal_recovery(code)) == 10 and not _normal_recovery(code).isdigit()


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, for typing by hand when the camera cannot scan
    uri: str  # otpauth://totp/Helpdesk:ann@shop.example?secret=…&issuer=Helpdesk, the QR code's text


class TwoStepService(Service):

    # ---- the owner's policy -----------------------------------------------------------------

    def policy(self) -> SecurityPolicy:
        with self.db.read() as s:
            row = s.get(AppSetting, POLICY_KEY)
        value = dict(row.value or {}) if row else {}
        two_step = str(value["two_step"]) if value.get("two_step") in POLICIES else "off"
        idle = value.get("idle_days")
        return SecurityPolicy(two_step, idle if isinstance(idle, int) and 1 <= idle <= 365 else DEFAULT_IDLE_DAYS)

    @writes
    def set_policy(self, actor: Actor, two_step: str | None = None, idle_days: int | None = None) -> SecurityPolicy:
        require_admin(actor, "change who needs two-step sign-in")
        fields: dict[str, str] = {}
        if two_step is not None and two_step not in POLICIES:
            fields["two_step"] = "must be off, everyone or outside_lan"
        if idle_days is not None and not (isinstance(idle_days, int) and 1 <= idle_days <= 365):
            fields["idle_days"] = "must be 1 to 365 days"
        if fields:
            raise ValidationFailed("the sign-in settings were not saved", fields)
        with self.db.write() as tx:
            row = tx.session.get(AppSetting, POLICY_KEY) or AppSetting(key=POLICY_KEY, value={})
            value = dict(row.value or {})
            if two_step is not None:
                value["two_step"] = two_step
            if idle_days is not None:
                value["idle_days"] = idle_days
            row.value = value
            tx.session.add(row)
            audit(tx.session, self.now(), actor, "security.policy", two_step=two_step, idle_days=idle_days)
        return self.policy()

    # ---- setting it up ------------------------------------------------------------------------

    def enabled(self, agent: Agent) -> bool:
        return agent.totp_enabled_at is not None

    @writes
    def begin(self, agent_id: int, actor: Actor) -> Enrolment:
        """A new secret, not yet in force: the agent scans it, then confirms a code."""
        self._own_or_admin(agent_id, actor, "set up two-step sign-in")
        secret = pyotp.random_base32()
        with self.db.write() as tx:
            agent = tx.session.get(Agent, agent_id)
            if agent is None:
                raise NotFound("no such agent")
            if agent.totp_enabled_at is not None:
                raise Conflict("two-step sign-in is already on; turn it off or reset it first")
            agent.totp_secret = secret
            tx.session.add(agent)
            email = agent.email
        return Enrolment(secret, pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER))

    @writes
    def confirm(self, agent_id: int, code: str, actor: Actor) -> list[str]:
        """The first code proves the phone has the secret: the second step is on. Returns the
        recovery codes, the only time they are shown."""
        self._own_or_admin(agent_id, actor, "set up two-step sign-in")
        now = self.now()
        with self.db.write() as tx:
            agent = tx.session.get(Agent, agent_id)
            if agent is None or not agent.totp_secret:
                raise Conflict("start the set-up again: there is no code to confirm")
            if agent.totp_enabled_at is not None:
                raise Conflict("two-step sign-in is already on")
            step = self._totp_step(agent, code, now)
            if step is None:
                raise ValidationFailed("that code is not right; check the phone's clock and try the newest code",
                                       {"code": "is not right"})
            codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
            agent.totp_enabled_at = now
            agent.totp_last_step = step
            agent.recovery_codes = [_recovery_digest(c) for c in codes]
            tx.session.add(agent)
            audit(tx.session, now, actor, "agent.two_step_enabled", agent_id=agent_id)
        return codes

    @writes
    def new_recovery_codes(self, agent_id: int, actor: Actor) -> list[str]:
        """Ten fresh codes; the old ones stop working."""
        self._own_or_admin(agent_id, actor, "make new recovery codes")
        with self.db.write() as tx:
            agent = tx.session.get(Agent, agent_id)
            if agent is None or agent.totp_enabled_at is None:
                raise Conflict("two-step sign-in is not on")
            codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
            agent.recovery_codes = [_recovery_digest(c) for c in codes]
            tx.session.add(agent)
            audit(tx.session, self.now(), actor, "agent.recovery_codes_renewed", agent_id=agent_id)
        return codes

    def turn_off(self, agent_id: int, code: str, actor: Actor) -> None:
        """The agent turns it off themselves, with a current code; refused while the owner requires it."""
        if actor.agent_id != agent_id:
            raise Forbidden("only the agent can turn off their own two-step sign-in; an admin resets it")
        if self.policy().two_step == "everyone":
            raise Forbidden("two-step sign-in is required for everyone in this shop")
        self._turn_off(agent_id, code, actor)

    @writes
    def _turn_off(self, agent_id: int, code: str, actor: Actor) -> None:
        with self.db.write() as tx:
            agent = tx.session.get(Agent, agent_id)
            if agent is None or agent.totp_enabled_at is None:
                raise Conflict("two-step sign-in is not on")
            if self._check(agent, code, self.now(), tx) is None:
                raise ValidationFailed("that code is not right", {"code": "is not right"})
            self._clear(tx, agent)
            audit(tx.session, self.now(), actor, "agent.two_step_disabled", agent_id=agent_id)

    @writes
    def reset(self, agent_id: int, actor: Actor) -> Agent:
        """A lost phone: the second step is off and every session of the agent ends; they set it
        up again at their next sign-in if the shop requires it."""
        if actor.agent_id != agent_id or actor.kind != "agent":
            require_admin(actor, "reset another agent's two-step sign-in")
        with self.db.write() as tx:
            agent = tx.session.get(Agent, agent_id)
            if agent is None:
                raise NotFound("no such agent")
            self._clear(tx, agent)
            end_sessions(tx.session, agent_id)
            audit(tx.session, self.now(), actor, "agent.two_step_reset", agent_id=agent_id)
            tx.emit(events.SESSIONS_ENDED, None, agent_id=agent_id)
            return agent

    # ---- at sign-in ----------------------------------------------------------------------------

    @writes
    def verify(self, agent_id: int, code: str) -> str | None:
        """"code" or "recovery code" when it is right (and now used up), else None."""
        now = self.now()
        with self.db.write() as tx:
            agent = tx.session.get(Agent, agent_id)
            if agent is None or agent.totp_enabled_at is None:
                return None
            return self._check(agent, code, now, tx)

    def _check(self, agent: Agent, code: str, now: datetime, tx: Any) -> str | None:
        """Whether the code is right for this agent, using it up (in the caller's write) if so."""
        code = (code or "").strip()
        if looks_like_recovery(code):
            left = list(agent.recovery_codes or [])
            digest = _recovery_digest(code)
            if digest not in left:
                return None
            left.remove(digest)
            agent.recovery_codes = left
            tx.session.add(agent)
            return "recovery code"
        step = self._totp_step(agent, code, now)
        if step is None or (agent.totp_last_step is not None and step <= agent.totp_last_step):
            return None  # wrong, or already used (no replay within its window)
        agent.totp_last_step = step
        tx.session.add(agent)
        return "code"

    @staticmethod
    def _totp_step(agent: Agent, code: str, now: datetime) -> int | None:
        """The time step the code belongs to, allowing one step (30 s) of clock drift either way."""
        digits = "".join(c for c in (code or "") if c.isdigit())
        if len(digits) != 6 or not agent.totp_secret:
            return None
        totp = pyotp.TOTP(agent.totp_secret)
        here = totp.timecode(now)
        for step in (here, here - 1, here + 1):
            if secrets.compare_digest(totp.generate_otp(step), digits):
                return step
        return None

    # ---- helpers -----------------------------------------------------------------------------

    def _own_or_admin(self, agent_id: int, actor: Actor, doing: str) -> None:
        if actor.agent_id != agent_id:
            require_admin(actor, doing + " for another agent")

    @staticmethod
    def _clear(tx: Any, agent: Agent) -> None:
        agent.totp_secret = None
        agent.totp_enabled_at = None
        agent.totp_last_step = None
        agent.recovery_codes = None
        tx.session.add(agent)

