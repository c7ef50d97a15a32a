"""Personal data out of a draft saved from a conversation ("Save as article"): the customer's
own names, email addresses, phone numbers, order numbers, IBANs and street addresses become
bracketed placeholders an agent sees and rewrites before publishing. A help article is read
by anyone: better one word too many masked than one customer's number published."""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
# An order, invoice or ticket number: "#10598", "order 10598", "Order no. A-10598".
ORDER = re.compile(r"(?:#\s?\d{3,}|\b(?:order|invoice|ticket|bestellung|rechnung|auftrag)\s*(?:no\.?|nr\.?|number|"
                   r"#)?\s*[A-Z]{0,3}-?\d{3,}\b)", re.IGNORECASE)
# A phone number: a leading + or 0 and at least 7 digits, spaces, dots, dashes or brackets between.
PHONE = re.compile(r"(?<![\w/])(?:\+|00|0)\d[\d ()./-]{5,}\d\b")
STREET = re.compile(r"\b[A-ZÄÖÜ][\wäöüß.-]*(?:straße|strasse|str\.|weg|gasse|platz|allee|ring)\s+\d+[a-z]?\b|"
                    r"\b\d+[a-z]?\s+[A-Z][\w.-]*(?:\s[A-Z][\w.-]*)?\s(?:Street|St\.|Road|Rd\.?|Avenue|Ave\.?|Lane|"
                    r"Drive|Way|Close|Court)\b")


@dataclass(frozen=True)
class Masked:
    text: str
    count: int  # how many things were masked: the editor says so


def mask(text: str, names: tuple[str, ...] = ()) -> Masked:
    """`names`: the customer's (and anyone else's) names the conversation knows, each word masked."""
    count = 0

    def sub(pattern: re.Pattern[str], placeholder: str, value: str) -> str:
        nonlocal count
        value, n = pattern.subn(placeholder, value)
        count += n
        return value

    out = sub(EMAIL, "[email]", text)
    out = sub(IBAN, "[IBAN]", out)
    out = sub(ORDER, "[order number]", out)
    out = sub(STREET, "[address]", out)
    out = sub(PHONE, "[phone]", out)
    words = sorted({w for name in names for w in re.findall(r"[^\W\d_]{2,}", name or "")}, key=len, reverse=True)
    if words:
        out = sub(re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE), "[name]", out)
    return Masked(out, count)
