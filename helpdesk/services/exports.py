"""CSV for spreadsheets, safe to open: a cell that starts with = + - @, a tab or a carriage
return would be run as a formula by Excel, LibreOffice or Google Sheets (CSV injection), so
it is written with a leading apostrophe, as OWASP recommends. Customers control names and
subjects, so every export goes through here."""

from __future__ import annotations

import csv
import io
from typing import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Numbers stay numbers (a negative count is a number, not a formula); text that a
    spreadsheet would evaluate gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
