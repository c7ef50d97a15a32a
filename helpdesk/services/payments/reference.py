"""ISO 11649 RF creditor references: "RF" + two check digits + the conversation and request
numbers, so a line on the shop's bank statement leads to its conversation (and the bank's
app checks the digits before the customer can send a typo)."""

from __future__ import annotations

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10


def rf_reference(conversation_id: int, request_id: int) -> str:
    """"RF" + check digits + "<conversation>P<request>": at most 25 characters."""
    body = f"{conversation_id}P{request_id}"
    return "RF" + mod_97_10.calc_check_digits(body + "RF") + body


def conversation_of(reference: str) -> int | None:
    """The conversation a reference names (as typed off a statement, spaces and case aside)."""
    compact = iso11649.compact(reference or "")
    if not iso11649.is_valid(compact) or "P" not in compact[4:]:
        return None
    number = compact[4:].split("P", 1)[0]
    return int(number) if number.isdigit() else None


def spaced(reference: str) -> str:
    """RF18 42P7: in groups of four, as banks print it."""
    return iso11649.format(reference)
