"""What a language model must not see when the owner says so: email addresses, phone numbers and
card-like numbers, replaced by a word for what they were."""

from __future__ import annotations


import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# 13 to 19 digits, in groups or not: a payment card's shape (checked by Luhn before it is masked).
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
# A + or a leading digit, then 7 or more digits with the usual separators.
_PHONE = re.compile(r"(?<![\w])\+?\(?\d[\d ()./-]{6,}\d(?![\w])")


def _luhn(digits: str) -> bool:
    total, odd = 0, False
    for d in reversed(digits):
        n = int(d)
        if odd:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
        odd = not odd
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "[card number]" if _luhn(digits) else match.group()


_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")  # a date, not a number to call


def _phone(match: re.Match[str]) -> str:
    found = match.group()
    digits = re.sub(r"\D", "", found)
    return "[phone]" if 7 <= len(digits) <= 15 and not _DATE.fullmatch(found.strip()) else found


def mask(text: str) -> str:
    text = _EMAIL.sub("[email]", text)
    text = _CARD.sub(_card, text)
    return _PHONE.sub(_phone, text)
