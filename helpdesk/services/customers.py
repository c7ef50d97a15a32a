"""Customers and how a message finds its customer.

Identifiers are normalised before they are compared: emails lower-cased, phone
numbers to E.164 (with the shop's default region for local numbers), external ids
as given. A unique constraint on (kind, value) means one identifier can never
belong to two customers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import phonenumbers
from sqlalchemy import bindparam, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from helpdesk import events
from helpdesk.db.direct import prepared
from helpdesk.models import (EMAIL, EXTERNAL_ID, PHONE, TELEGRAM, Conversation, Customer,
                             CustomerIdentifier)
from helpdesk.models.tables import CONVERSATIONS, CUSTOMERS as CUSTOMER, CUSTOMER_IDENTIFIERS as IDENTIFIER
from helpdesk.services.base import TEAM, Actor, Service, audit, new_id, require_role, writes
from helpdesk.services.errors import NotFound, ValidationFailed
from helpdesk.services.thread_events import insert_event

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_email(raw: str) -> str | None:
    value = raw.strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        return None
    return value


def normalize_phone(raw: str, default_region: str | None = None) -> str | None:
    """E.164 when the number can be understood; otherwise '+'/digits only, so the same
    number typed with spaces, dashes or brackets still matches itself."""
    value = raw.strip()
    digits = re.sub(r"\D", "", value)
    if len(digits) < 5 or len(digits) > 17 or re.search(r"[A-Za-z]", value):
        return None
    try:
        parsed = phonenumbers.parse(value, default_region)
        if phonenumbers.is_possible_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        parsed = None  # not a number phonenumbers can read: its digits, as given, below
    return ("+" if value.startswith(("+", "00")) else "") + (digits[2:] if value.startswith("00") else digits)


def normalize_external_id(raw: str) -> str | None:
    value = raw.strip()
    return value if 0 < len(value) <= 200 else None


@dataclass
class CustomerIdentity:
    """Normalised identifiers of a customer as given with a message."""

    email: str | None = None
    phone: str | None = None
    external_id: str | None = None
    name: str = ""
    telegram: str | None = None  # a Telegram user id

    def pairs(self) -> list[tuple[str, str]]:
        # Most specific first: an integrator's own id, then email, then phone, then Telegram.
        out = []
        if self.external_id:
            out.append((EXTERNAL_ID, self.external_id))
        if self.email:
            out.append((EMAIL, self.email))
        if self.phone:
            out.append((PHONE, self.phone))
        if self.telegram:
            out.append((TELEGRAM, self.telegram))
        return out


@dataclass
class CustomerProfile:
    customer: Customer
    identifiers: dict[str, list[str]] = field(default_factory=dict)

    def first(self, kind: str) -> str | None:
        values = self.identifiers.get(kind) or []
        return values[0] if values else None


@dataclass
class CustomerHistory:
    profile: CustomerProfile
    conversations: list[Conversation]



# Built once: the intake hot path only binds values (no statement building per message).
# Both columns, so the unique (kind, value) index answers it: by value alone it was a scan
# of every identifier (2 ms a message at 100,000 customers, found by bench/scale.py).
_OWNERS = select(IDENTIFIER.c.kind, IDENTIFIER.c.value, IDENTIFIER.c.customer_id).where(
    IDENTIFIER.c.kind.in_(bindparam("kinds", expanding=True)),
    IDENTIFIER.c.value.in_(bindparam("values", expanding=True)))
_INSERT_CUSTOMER = prepared(insert(CUSTOMER))
# The usual message names one identifier: the same lookup without IN lists (the direct path's),
# with the owner's name, so a name is filled in only where there is none (one statement less).
_OWNER = prepared(select(IDENTIFIER.c.kind, IDENTIFIER.c.value, IDENTIFIER.c.customer_id,
                         CUSTOMER.c.name.label("owner_name"))
                  .join(CUSTOMER, CUSTOMER.c.id == IDENTIFIER.c.customer_id)
                  .where(IDENTIFIER.c.kind == bindparam("b_kind"), IDENTIFIER.c.value == bindparam("b_value")))
_INSERT_IDENTIFIER = prepared(insert(IDENTIFIER))
_IDENTIFIER_VALUES = prepared(select(IDENTIFIER.c.value).where(IDENTIFIER.c.customer_id == bindparam("b_customer"))
                              .order_by(IDENTIFIER.c.id))
_UPDATE_CUSTOMER = prepared(update(CUSTOMER).where(CUSTOMER.c.id == bindparam("b_customer")))
_FILL_EMPTY_NAME = prepared(update(CUSTOMER).where(CUSTOMER.c.id == bindparam("b_customer"), CUSTOMER.c.name == ""))


def resolve_customer(conn: Connection, identity: CustomerIdentity, now: datetime,
                     actor: Actor) -> tuple[int, bool]:
    """Find the customer these identifiers belong to, or create one; returns (id, created).

    If the identifiers point at different customers, the most specific match wins
    and the others are left where they are (never moved silently); the conflict is
    written to the audit trail for a person to merge if they should be one.
    Written in SQLAlchemy Core: this is the intake hot path.
    """
    pairs = identity.pairs()
    named = False  # known to have a name already
    if len(pairs) == 1:
        rows = conn.execute(_OWNER, {"b_kind": pairs[0][0], "b_value": pairs[0][1]}).all()
        named = bool(rows and rows[0].owner_name)
    else:
        rows = conn.execute(_OWNERS, {"kinds": sorted({kind for kind, _ in pairs}),
                                      "values": [value for _, value in pairs]}).all()
    owners = {(row.kind, row.value): row.customer_id for row in rows if (row.kind, row.value) in pairs}
    created = False
    if owners:
        customer_id = next(owners[p] for p in pairs if p in owners)
        others = {p: c for p, c in owners.items() if c != customer_id}
        if others:
            audit(conn, now, actor, "customer.identifier_conflict", customer_id=customer_id,
                  others={f"{k}:{v}": c for (k, v), c in others.items()})
    else:
        customer_id = new_id(conn.execute(_INSERT_CUSTOMER, {"name": identity.name, "contact": "", "created_at": now,
                                                      "updated_at": now}))
        created = True
    new_pairs = [p for p in pairs if p not in owners]
    if new_pairs:
        for kind, value in new_pairs:
            conn.execute(_INSERT_IDENTIFIER, {"customer_id": customer_id, "kind": kind, "value": value,
                                              "created_at": now})
        values = conn.execute(_IDENTIFIER_VALUES, {"b_customer": customer_id}).scalars().all()
        conn.execute(_UPDATE_CUSTOMER, {"b_customer": customer_id, "contact": " ".join(values)[:2000],
                                        "updated_at": now})
    if identity.name and not created and not named:
        # A name is filled in when the customer had none; an existing name is never overwritten.
        conn.execute(_FILL_EMPTY_NAME, {"b_customer": customer_id, "name": identity.name, "updated_at": now})
    return customer_id, created


def load_profile(session: Session, customer: Customer) -> CustomerProfile:
    rows = session.exec(
        select(CustomerIdentifier.kind, CustomerIdentifier.value)
        .where(col(CustomerIdentifier.customer_id) == customer.id).order_by(col(CustomerIdentifier.id))
    ).all()
    identifiers: dict[str, list[str]] = {}
    for kind, value in rows:
        identifiers.setdefault(kind, []).append(value)
    return CustomerProfile(customer=customer, identifiers=identifiers)


# Built once: every message's webhook payload names its customer (one statement, not two).
_NAME_AND_IDENTIFIERS = prepared(
    select(CUSTOMER.c.name, IDENTIFIER.c.kind, IDENTIFIER.c.value)
    .select_from(CUSTOMER.outerjoin(IDENTIFIER, IDENTIFIER.c.customer_id == CUSTOMER.c.id))
    .where(CUSTOMER.c.id == bindparam("b_customer")).order_by(IDENTIFIER.c.id))


def name_and_identifiers(conn: Connection, customer_id: int) -> tuple[str, dict[str, str]]:
    """The customer's name and first identifier of each kind, inside a transaction."""
    name, out = "", dict[str, str]()
    for row in conn.execute(_NAME_AND_IDENTIFIERS, {"b_customer": customer_id}):
        name = row.name or ""
        if row.kind is not None:
            out.setdefault(row.kind, row.value)
    return name, out


def customer_display_name(profile: CustomerProfile) -> str:
    return profile.customer.name or profile.first(EMAIL) or profile.first(PHONE) or \
        profile.first(EXTERNAL_ID) or f"Customer #{profile.customer.id}"


class CustomerService(Service):
    def get_profile(self, customer_id: int) -> CustomerProfile:
        with self.db.read() as session:
            customer = session.get(Customer, customer_id)
            if customer is None:
                raise NotFound(f"customer {customer_id} not found")
            return load_profile(session, customer)

    def find_by_identifier(self, kind: str, raw: str) -> Customer | None:
        value = {EMAIL: normalize_email, PHONE: lambda v: normalize_phone(v, self.settings.default_phone_region),
                 EXTERNAL_ID: normalize_external_id}[kind](raw)
        if value is None:
            return None
        with self.db.read() as session:
            return session.exec(
                select(Customer).join(CustomerIdentifier, col(CustomerIdentifier.customer_id) == Customer.id)
                .where(CustomerIdentifier.kind == kind, CustomerIdentifier.value == value)
            ).first()

    def history(self, customer_id: int, limit: int = 200) -> CustomerHistory:
        """The customer with every identifier and their conversations, newest first."""
        with self.db.read() as session:
            customer = session.get(Customer, customer_id)
            if customer is None:
                raise NotFound(f"customer {customer_id} not found")
            conversations = session.exec(
                select(Conversation).where(Conversation.customer_id == customer_id,
                                           col(Conversation.merged_into_id).is_(None))  # merged ones are empty
                .order_by(col(Conversation.last_message_at).desc(), col(Conversation.id).desc())
                .limit(limit)
            ).all()
            return CustomerHistory(profile=load_profile(session, customer), conversations=list(conversations))

    def rename(self, customer_id: int, name: str, actor: Actor) -> Customer:
        require_role(actor, *TEAM, doing="rename a customer")
        return self._rename(customer_id, name.strip()[:200], actor)

    @writes
    def _rename(self, customer_id: int, name: str, actor: Actor) -> Customer:
        with self.db.write() as tx:
            customer = tx.session.get(Customer, customer_id)
            if customer is None:
                raise NotFound(f"customer {customer_id} not found")
            old = customer.name
            customer.name = name
            customer.updated_at = self.now()
            tx.session.add(customer)
            audit(tx.session, self.now(), actor, "customer.renamed", customer_id=customer_id, old=old, new=name)
            tx.emit(events.CUSTOMER_UPDATED, customer_id=customer_id)
            return customer

    def link(self, source_id: int, target_id: int, actor: Actor) -> int:
        """Two customers are one person (the one who texted is the one who mailed): everything of
        `source_id` (identities, conversations) moves to `target_id`, which keeps its name unless it
        has none, and a note in their latest conversation says so. Returns the customer kept."""
        require_role(actor, *TEAM, doing="link customers")
        if source_id == target_id:
            raise ValidationFailed("a customer cannot be linked to themselves", {"into": "must be another customer"})
        return self._link(source_id, target_id, actor)

    @writes
    def _link(self, source_id: int, target_id: int, actor: Actor) -> int:
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            rows = {r.id: r for r in conn.execute(sa_select(CUSTOMER).where(CUSTOMER.c.id.in_((source_id, target_id))))}
            if source_id not in rows or target_id not in rows:
                raise NotFound("customer not found")
            source, target = rows[source_id], rows[target_id]
            conversations = CONVERSATIONS
            moved = list(conn.execute(sa_select(conversations.c.id).where(conversations.c.customer_id == source_id))
                         .scalars())
            conn.execute(update(conversations).where(conversations.c.customer_id == source_id)
                         .values(customer_id=target_id))
            conn.execute(update(IDENTIFIER).where(IDENTIFIER.c.customer_id == source_id).values(customer_id=target_id))
            values = conn.execute(_IDENTIFIER_VALUES, {"b_customer": target_id}).scalars().all()
            opt_outs = [t for t in (source.sms_opt_out_at, target.sms_opt_out_at) if t is not None]
            conn.execute(_UPDATE_CUSTOMER, {"b_customer": target_id, "name": target.name or source.name,
                                            "contact": " ".join(values)[:2000],
                                            "sms_opt_out_at": max(opt_outs) if opt_outs else None, "updated_at": now})
            conn.execute(CUSTOMER.delete().where(CUSTOMER.c.id == source_id))
            label = source.name or source.contact or f"customer #{source_id}"
            latest = conn.execute(sa_select(conversations.c.id).where(conversations.c.customer_id == target_id)
                                  .order_by(conversations.c.last_message_at.desc()).limit(1)).scalar()
            if latest is not None:
                insert_event(conn, latest, now, f"{actor.name or 'Helpdesk'} linked {label} to this customer: "
                             f"one person, one history", actor, event="customers_linked", source=source_id)
            audit(conn, now, actor, "customer.linked", customer_id=target_id, source=source_id,
                  conversations=moved)
            tx.emit(events.CUSTOMER_UPDATED, customer_id=target_id)
            for conversation_id in {*moved, *([latest] if latest else [])}:
                tx.emit(events.CONVERSATION_UPDATED, conversation_id, linked=True)
            return target_id
