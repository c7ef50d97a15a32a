"""Amounts as the currency writes them: decimals in its minor units (ISO 4217), never floats."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from iso4217 import Currency

from helpdesk.services.errors import ValidationFailed

MAX_AMOUNT = Decimal("999999999")  # far past any shop's request, well inside every provider's limit


def currency_code(raw: str | None) -> str:
    """An ISO 4217 code with minor units (EUR, CHF, JPY…); funds and metals are refused."""
    code = (raw or "").strip().upper()
    try:
        currency = Currency(code)
    except ValueError:
        raise ValidationFailed("that is not a currency", {"currency": "must be an ISO 4217 code such as EUR"}) \
            from None
    if currency.exponent is None:
        raise ValidationFailed("that currency cannot be paid in", {"currency": f"{code} has no minor unit"})
    return code


def exponent(code: str) -> int:
    return int(Currency(code).exponent or 0)


def parse_amount(raw: object, code: str) -> int:
    """"49.90" (or "49,90") in EUR → 4990. A float is refused: 0.1 + 0.2 is not money."""
    if isinstance(raw, float) or isinstance(raw, bool):
        raise ValidationFailed("the amount must be written as text", {"amount": 'write it as text, e.g. "49.90"'})
    text = str(raw if raw is not None else "").strip().replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")  # 49,90: how most of Europe writes it
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed("that is not an amount", {"amount": 'must be a number such as "49.90"'}) from None
    places = exponent(code)
    if not value.is_finite() or value <= 0:
        raise ValidationFailed("the amount must be more than zero", {"amount": "must be more than zero"})
    if value > MAX_AMOUNT:
        raise ValidationFailed("the amount is too large", {"amount": f"must be at most {MAX_AMOUNT}"})
    minor = value.scaleb(places)
    if minor != minor.to_integral_value():
        raise ValidationFailed("too many decimals for the currency",
                               {"amount": f"{code} has {places} decimal{'s' if places != 1 else ''}"})
    return int(minor)


def amount_text(minor: int, code: str) -> str:
    """4990, EUR → "49.90"."""
    places = exponent(code)
    return f"{Decimal(minor).scaleb(-places):.{places}f}"


def money_words(minor: int, code: str) -> str:
    return f"{amount_text(minor, code)} {code}"
