"""Small pieces shared by the views."""

from __future__ import annotations

from typing import Any


async def sync_value(_e: Any) -> None:
    """A no-op change handler. A TextField with a change handler sends its value with
    every keystroke, so a button pressed right after typing never reads a stale value."""
