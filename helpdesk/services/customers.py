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
from sqlmodel import Session, col, select

from helpdesk.models import (EMAIL, EXTERNAL_ID, PHONE, Conversation, Customer,
                             CustomerIdentifier)
from helpdesk.services.base import Actor, Service, audit
from helpdesk.services.errors import NotFound

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
        pass
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

    def pairs(self) -> list[tuple[str, str]]:
        # Most specific first: an integrator's own id, then email, then phone.
        out = []
        if self.external_id:
            out.append((EXTERNAL_ID, self.external_id))
        if self.email:
            out.append((EMAIL, self.email))
        if self.phone:
            out.append((PHONE, self.phone))
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


def contact_line(session: Session, customer_id: int) -> str:
    values = session.exec(
        select(CustomerIdentifier.value).where(CustomerIdentifier.customer_id == customer_id)
        .order_by(CustomerIdentifier.id)
    ).all()
    return " ".join(values)[:2000]


def resolve_customer(session: Session, identity: CustomerIdentity, now: datetime,
                     actor: Actor) -> tuple[Customer, bool]:
    """Find the customer these identifiers belong to, or create one.

    If the identifiers point at different customers, the most specific match wins
    and the others are left where they are (never moved silently); the conflict is
    written to the audit trail for a person to merge if they should be one.
    """
    pairs = identity.pairs()
    owners: dict[tuple[str, str], int] = {}
    for kind, value in pairs:
        owner = session.exec(
            select(CustomerIdentifier.customer_id)
            .where(CustomerIdentifier.kind == kind, CustomerIdentifier.value == value)
        ).first()
        if owner is not None:
            owners[(kind, value)] = owner

    created = False
    if owners:
        customer_id = next(owners[p] for p in pairs if p in owners)
        customer = session.get(Customer, customer_id)
        assert customer is not None
        others = {p: c for p, c in owners.items() if c != customer_id}
        if others:
            audit(session, now, actor, "customer.identifier_conflict", customer_id=customer_id,
                  others={f"{k}:{v}": c for (k, v), c in others.items()})
    else:
        customer = Customer(name=identity.name, created_at=now, updated_at=now)
        session.add(customer)
        session.flush()
        created = True

    changed = created
    for kind, value in pairs:
        if (kind, value) not in owners:
            session.add(CustomerIdentifier(customer_id=customer.id, kind=kind, value=value, created_at=now))
            changed = True
    if identity.name and not customer.name:
        customer.name = identity.name
        changed = True
    if changed:
        session.flush()
        customer.contact = contact_line(session, customer.id)  # type: ignore[arg-type]
        customer.updated_at = now
        session.add(customer)
    return customer, created


def load_profile(session: Session, customer: Customer) -> CustomerProfile:
    rows = session.exec(
        select(CustomerIdentifier.kind, CustomerIdentifier.value)
        .where(CustomerIdentifier.customer_id == customer.id).order_by(CustomerIdentifier.id)
    ).all()
    identifiers: dict[str, list[str]] = {}
    for kind, value in rows:
        identifiers.setdefault(kind, []).append(value)
    return CustomerProfile(customer=customer, identifiers=identifiers)


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
                select(Conversation).where(Conversation.customer_id == customer_id)
                .order_by(col(Conversation.last_message_at).desc(), col(Conversation.id).desc())
                .limit(limit)
            ).all()
            return CustomerHistory(profile=load_profile(session, customer), conversations=list(conversations))

    def rename(self, customer_id: int, name: str, actor: Actor) -> Customer:
        name = name.strip()[:200]
        with self.db.write() as tx:
            customer = tx.session.get(Customer, customer_id)
            if customer is None:
                raise NotFound(f"customer {customer_id} not found")
            old = customer.name
            customer.name = name
            customer.updated_at = self.now()
            tx.session.add(customer)
            audit(tx.session, self.now(), actor, "customer.renamed", customer_id=customer_id, old=old, new=name)
            tx.emit("customer.updated", customer_id=customer_id)
            return customer
