"""The EPC069-12 QR code ("GiroCode"): a SEPA credit transfer that European banking apps fill
in by scanning (holder, IBAN, amount, RF reference). Made by segno; EUR only by the standard."""

from __future__ import annotations

import functools
import io
from decimal import Decimal

import segno
from segno import helpers


def epc_qr(holder: str, iban: str, bic: str, amount_minor: int, reference: str) -> segno.QRCode:
    return helpers.make_epc_qr(name=holder[:70], iban=iban, amount=Decimal(amount_minor).scaleb(-2),
                               reference=reference, bic=bic or None, encoding="UTF-8")


@functools.lru_cache(maxsize=256)  # a customer's page asks again on each visit; the code never changes
def epc_png(holder: str, iban: str, bic: str, amount_minor: int, reference: str) -> bytes:
    out = io.BytesIO()
    epc_qr(holder, iban, bic, amount_minor, reference).save(out, kind="png", scale=6, border=4)
    return out.getvalue()
