"""The ways a shop takes payment, any combination: a bank account (details and, for EUR, the
EPC QR code; needs no internet and no provider), Stripe Checkout (its keys in the SecretBox),
and a payment link of the shop's own with {amount} and {reference} in it. Set in Settings ›
Payments or `helpdesk payments …`; secrets are never shown back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit

from stdnum import bic as bic_code
from stdnum import iban as iban_code
from stdnum.exceptions import ValidationError

from helpdesk.models import AppSetting
from helpdesk.services.base import Actor, Service, audit, require_admin, writes
from helpdesk.services.errors import ValidationFailed
from helpdesk.services.mail.secrets import SecretBox
from helpdesk.services.payments.money import currency_code
from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database

SETTINGS_KEY = "payments"
SECRET_OWNER = "payments/stripe"
STRIPE_API = "https://api.stripe.com"
KINDS = ("bank", "stripe", "link")
DEFAULT_EXPIRE_DAYS = 14


@dataclass(frozen=True)
class BankAccount:
    holder: str
    iban: str  # compact: DE89370400440532013000
    bic: str

    @property
    def iban_spaced(self) -> str:
        return iban_code.format(self.iban)


@dataclass(frozen=True)
class PaymentWays:
    bank: BankAccount | None
    link: str  # the template, "" for none
    stripe_api: str  # "" when Stripe is not set up
    expire_days: int
    currency: str = "EUR"  # the one "Request payment" starts with

    @property
    def any(self) -> bool:
        return bool(self.bank or self.link or self.stripe_api)

    def described(self) -> dict[str, Any]:
        """For `payments show` and the API: what is set up, never a secret."""
        return {"bank": {"holder": self.bank.holder, "iban": self.bank.iban_spaced, "bic": self.bank.bic}
                if self.bank else None,
                "stripe": {"api_url": self.stripe_api, "keys": "kept (not shown)"} if self.stripe_api else None,
                "link": {"url": self.link} if self.link else None, "expire_days": self.expire_days,
                "currency": self.currency}


def check_link_template(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url.replace("{amount}", "1").replace("{reference}", "RF"))
    if parts.scheme != "https" or not parts.hostname or len(url) > 500:
        raise ValidationFailed("the payment link was not saved",
                               {"url": "must be an https:// address, e.g. https://paypal.me/bikeshop/{amount}EUR"})
    if "{amount}" not in url:
        raise ValidationFailed("the payment link was not saved",
                               {"url": "must contain {amount}, where the amount goes"})
    return url


class PaymentWaysService(Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings, secret_box: Callable[[], SecretBox]) -> None:
        super().__init__(db, clock, settings)
        self._box = secret_box

    def _stored(self) -> dict[str, Any]:
        with self.db.read() as s:
            setting = s.get(AppSetting, SETTINGS_KEY)
        return dict(setting.value or {}) if setting else {}

    def now_set(self) -> PaymentWays:
        value = self._stored()
        bank = value.get("bank")
        return PaymentWays(BankAccount(bank["holder"], bank["iban"], bank.get("bic", "")) if bank else None,
                           (value.get("link") or {}).get("url", ""),
                           (value.get("stripe") or {}).get("api_url", ""),
                           int(value.get("expire_days", DEFAULT_EXPIRE_DAYS)), value.get("currency", "EUR"))

    def stripe_keys(self) -> tuple[str, str]:
        """(secret key, webhook signing secret); raises SecretMissing when they cannot be read here."""
        stripe = self._stored().get("stripe") or {}
        if not stripe:
            return "", ""
        box = self._box()
        return (box.get(SECRET_OWNER, "secret_key", stripe.get("store", "none"), stripe.get("secret_key", ""),
                        "Stripe's secret key"),
                box.get(SECRET_OWNER, "webhook_secret", stripe.get("store", "none"), stripe.get("webhook_secret", ""),
                        "Stripe's webhook signing secret"))

    def set_bank(self, actor: Actor, holder: str, iban: str, bic: str = "") -> PaymentWays:
        require_admin(actor, "set up payments")
        holder = " ".join((holder or "").split())
        fields: dict[str, str] = {}
        if not holder or len(holder) > 70:  # EPC069-12 allows 70 characters for the name
            fields["holder"] = "the account holder's name, 1 to 70 characters"
        try:
            iban = iban_code.validate(iban or "")
        except ValidationError:
            fields["iban"] = "is not a valid IBAN (its check digits or length do not match)"
        if bic:
            try:
                bic = bic_code.validate(bic)
            except ValidationError:
                fields["bic"] = "is not a valid BIC (8 or 11 letters and digits)"
        if fields:
            raise ValidationFailed("the bank account was not saved", fields)
        self._save(actor, "bank", {"holder": holder, "iban": iban, "bic": bic or ""}, iban=iban_code.format(iban))
        return self.now_set()

    def set_link(self, actor: Actor, url: str) -> PaymentWays:
        require_admin(actor, "set up payments")
        url = check_link_template(url)
        self._save(actor, "link", {"url": url}, url=url)
        return self.now_set()

    def set_stripe(self, actor: Actor, secret_key: str, webhook_secret: str, api_url: str = "") -> PaymentWays:
        require_admin(actor, "set up payments")
        fields: dict[str, str] = {}
        secret_key, webhook_secret = (secret_key or "").strip(), (webhook_secret or "").strip()
        if not secret_key.startswith(("sk_", "rk_")) or len(secret_key) > 300:
            fields["secret_key"] = "must be a Stripe secret or restricted key (sk_… or rk_…)"
        if not webhook_secret.startswith("whsec_") or len(webhook_secret) > 300:
            fields["webhook_secret"] = "must be the webhook's signing secret (whsec_…)"
        api_url = (api_url or STRIPE_API).strip().rstrip("/")
        parts = urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            fields["api_url"] = "must be an address like https://api.stripe.com"
        if fields:
            raise ValidationFailed("Stripe was not saved", fields)
        box = self._box()
        store, key_text = box.put(SECRET_OWNER, "secret_key", secret_key)
        store2, hook_text = box.put(SECRET_OWNER, "webhook_secret", webhook_secret)
        self._save(actor, "stripe", {"api_url": api_url, "store": store, "secret_key": key_text,
                                     "webhook_secret": hook_text}, api_url=api_url)
        return self.now_set()

    def set_defaults(self, actor: Actor, expire_days: int, currency: str) -> PaymentWays:
        """How many days a request stays open, and the currency "Request payment" starts with."""
        require_admin(actor, "set up payments")
        if not isinstance(expire_days, int) or not 1 <= expire_days <= 365:
            raise ValidationFailed("not saved", {"expire_days": "from 1 to 365 days"})
        code = currency_code(currency)
        self._save(actor, "expire_days", expire_days, days=expire_days)
        self._save(actor, "currency", code, currency=code)
        return self.now_set()

    def remove(self, actor: Actor, kind: str) -> PaymentWays:
        require_admin(actor, "set up payments")
        if kind not in KINDS:
            raise ValidationFailed("nothing was removed", {"kind": "must be bank, stripe or link"})
        if kind == "stripe":
            store = (self._stored().get("stripe") or {}).get("store", "none")
            box = self._box()
            box.forget(SECRET_OWNER, "secret_key", store)
            box.forget(SECRET_OWNER, "webhook_secret", store)
        self._save(actor, kind, None)
        return self.now_set()

    @writes
    def _save(self, actor: Actor, key: str, value: Any, **said: Any) -> None:
        with self.db.write() as tx:
            setting = tx.session.get(AppSetting, SETTINGS_KEY) or AppSetting(key=SETTINGS_KEY, value={})
            stored = dict(setting.value or {})
            if value is None:
                stored.pop(key, None)
            else:
                stored[key] = value
            setting.value = stored
            tx.session.add(setting)
            audit(tx.session, self.now(), actor, "payments.removed" if value is None else "payments.configured",
                  way=key, **said)
