"""The packaged file runs on Windows, whose strftime has no "%-d" (it raises ValueError): a
conversation older than this week, the reports' period line and the customer's earlier chats
once used it. No format code with "-" anywhere in the code."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "helpdesk"
GLIBC_ONLY = re.compile(r"%-[a-zA-Z]")


@pytest.mark.sqlite_only  # reads the code, not the database
def test_no_glibc_only_date_format_codes():
    found = [f"{path.relative_to(ROOT.parent)}:{n}: {line.strip()}"
             for path in ROOT.rglob("*.py") for n, line in enumerate(path.read_text().splitlines(), 1)
             if GLIBC_ONLY.search(line.split("#")[0]) and "without strftime" not in line]
    assert found == []
