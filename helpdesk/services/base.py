"""What every service gets: the database, the clock and the settings; who acts (Actor,
with a role the services check), and the two kinds of service method: reads, which run
on any thread but an event loop, and writes (`@writes`), which always run on the
database's single writer thread."""

from __future__ import annotations

import functools
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, TypeVar, cast, overload

from sqlalchemy import insert
from sqlalchemy.engine import Connection
from sqlmodel import Session

from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database
from helpdesk.models.tables import AUDIT_ENTRIES as AUDIT
from helpdesk.services.errors import Forbidden

_INSERT_AUDIT = insert(AUDIT)  # built once: every write path audits
F = TypeVar("F", bound=Callable[..., Any])

# Roles. Staff sign in (admin, agent); API tokens act as an integration (intake and
# reading) or, with the reply scope, as a bot that answers like an agent.
ADMIN, AGENT, BOT, INTEGRATION, CUSTOMER, SYSTEM = "admin", "agent", "bot", "integration", "customer", "system"
ROLES = (ADMIN, AGENT, BOT, INTEGRATION, CUSTOMER, SYSTEM)
STAFF = (ADMIN, AGENT)
# Who may work on conversations as the team does (reply, note, assign, change status).
TEAM = (ADMIN, AGENT, BOT, SYSTEM)
# Who it is, as opposed to what it may do: a signed-in agent, an API token, the customer, Helpdesk.
KINDS = {ADMIN: "agent", AGENT: "agent", BOT: "token", INTEGRATION: "token", CUSTOMER: "customer", SYSTEM: "system"}
_AUDIT_TYPE = {"agent": "agent", "token": "api", "customer": "customer", "system": "system"}
# verify: may vouch for a customer on intake (`verified: true` returns an existing thread's link).
SCOPES = ("intake", "verify", "read", "reply", "admin")


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()  # "leave it as it is", where None means something (unassign, no team)


def same_secret(expected: str, given: str | None) -> bool:
    """Whether a secret, signature or key matches, compared as bytes in constant time: input
    with non-ASCII characters (or none at all) is a plain no, never an error."""
    return hmac.compare_digest(expected.encode("utf-8", "surrogatepass"), (given or "").encode("utf-8", "surrogatepass"))


def sha256_hex(text: str) -> str:
    """Digest of a secret (API token, session token, customer link) for lookups and storage."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Actor:
    """Who does something, and so what they may do."""

    role: str  # admin | agent | bot | integration | customer | system
    id: int | None = None  # agent id, API token id or customer id
    name: str = ""
    scopes: frozenset[str] = field(default_factory=frozenset)  # API tokens only
    kind: str = ""  # agent | token | customer | system; from the role unless given
    # An automation rule acting (and the rules whose actions led to it): what it causes never
    # sets off the same rules again (services/automation).
    via_rules: tuple[int, ...] = ()
    # Where it acts from, for the audit log: "desktop window", a browser's or API client's address.
    origin: str = ""

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown actor role {self.role!r}")
        if not self.kind:
            object.__setattr__(self, "kind", KINDS[self.role])

    @classmethod
    def system(cls) -> "Actor":
        return cls(SYSTEM, None, "Helpdesk")

    @classmethod
    def rule(cls, rule_id: int, title: str, chain: tuple[int, ...] = ()) -> "Actor":
        """An automation rule, named in the thread: "Assigned to Ann by Rule 'Round-robin'"."""
        return cls(SYSTEM, None, f"Rule '{title}'", via_rules=(*chain, rule_id))

    @classmethod
    def customer(cls, customer_id: int | None = None) -> "Actor":
        return cls(CUSTOMER, customer_id, "Customer")

    @classmethod
    def for_agent(cls, agent: Any, origin: str = "") -> "Actor":
        """A signed-in agent (anything with id, name and role)."""
        return cls(ADMIN if agent.role == ADMIN else AGENT, agent.id, agent.name, kind="agent", origin=origin[:64])

    @classmethod
    def for_token(cls, token: Any, origin: str = "") -> "Actor":
        """An API token: a bot when it may reply, an admin when it may administer, else an integration."""
        scopes = frozenset(s for s in (token.scopes or "").split(",") if s)
        role = ADMIN if "admin" in scopes else BOT if "reply" in scopes else INTEGRATION
        return cls(role, token.id, token.name, scopes, kind="token", origin=origin[:64])

    @property
    def type(self) -> str:
        """The kind of author recorded in the audit trail: agent, api, customer or system."""
        return _AUDIT_TYPE[self.kind]

    @property
    def agent_id(self) -> int | None:
        return self.id if self.kind == "agent" else None

    @property
    def token_id(self) -> int | None:
        return self.id if self.kind == "token" else None

    def has_scope(self, scope: str) -> bool:
        """People and Helpdesk itself have no scopes to check; a token has what it was given."""
        return self.kind != "token" or scope in self.scopes


def require_role(actor: Actor | None, *roles: str, doing: str) -> Actor:
    """Refuse with Forbidden unless the actor has one of the roles (the system always may)."""
    if actor is None or (actor.role not in roles and actor.role != SYSTEM):
        raise Forbidden(f"only {' or '.join(_role_words(roles))} can {doing}")
    return actor


def require_admin(actor: Actor | None, doing: str) -> Actor:
    return require_role(actor, ADMIN, doing=doing)


@overload
def require_scope(actor: Actor, scope: str, doing: str) -> Actor: ...
@overload
def require_scope(actor: None, scope: str, doing: str) -> None: ...


def require_scope(actor: Actor | None, scope: str, doing: str) -> Actor | None:
    """An API token needs the scope for what it does (403 with the scope named); no actor is
    Helpdesk itself (a job, the command line), which needs none."""
    if actor is not None and not actor.has_scope(scope):
        raise Forbidden(f"this API token lacks the {scope} scope, needed to {doing}", {"scope": f"needs {scope}"})
    return actor


def _role_words(roles: tuple[str, ...]) -> list[str]:
    words = {ADMIN: "an admin", AGENT: "an agent", BOT: "a bot token", INTEGRATION: "an integration",
             CUSTOMER: "the customer"}
    return [words[r] for r in roles if r in words]


def writes(method: F) -> F:
    """A service method that writes: it runs on the database's writer thread whoever calls
    it (a UI handler via run_write, an API route, a job, the command line). Calling it from
    an event loop directly is refused (it would block every agent and the API)."""

    @functools.wraps(method)
    def on_writer(self: "Service", *args: Any, **kwargs: Any) -> Any:
        return self.db.on_writer(method, self, *args, **kwargs)

    setattr(on_writer, "writes", True)  # what tests/services/test_write_path.py looks for
    return cast(F, on_writer)


class Service:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings

    def now(self) -> datetime:
        return self.clock.now()


def new_id(result: Any) -> int:
    """The id the database gave the row an INSERT just wrote (a Core or a direct result)."""
    return int(result.inserted_primary_key[0])


def stored_id(row: Any) -> int:
    """The id of a row read from the database: the models type `id` as optional because a row
    not yet inserted has none, but one that was read always has it."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has not been stored yet")
    return int(row.id)


def audit(executor: Session | Connection, at: datetime, actor: Actor, action: str,
          conversation_id: int | None = None, **detail: Any) -> None:
    """One audit row, written in the caller's transaction (a Session or a Core Connection)."""
    executor.execute(_INSERT_AUDIT, {"at": at, "actor_type": actor.type, "actor_id": actor.id, "action": action,
                                     "conversation_id": conversation_id, "detail": detail or None,
                                     "address": actor.origin})


def require_text(fields: dict[str, str], name: str, value: str | None, max_len: int,
                 required: bool = True) -> str:
    """Strip a text input, recording a readable problem in `fields` if it is unusable."""
    value = (value or "").strip()
    if required and not value:
        fields[name] = "must not be empty"
    elif len(value) > max_len:
        fields[name] = f"must be at most {max_len} characters"
    return value
