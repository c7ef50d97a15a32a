"""Handing the agent a file (an export, a CSV) through a one-time link (services/downloads.py)."""

from __future__ import annotations

from typing import IO, Callable

from helpdesk.services.auth import WINDOW_ADDRESS
from helpdesk.ui.context import UiContext


def download_url(ctx: UiContext, token: str) -> str:
    """Where the browser (or, from the desktop window, the system's) fetches a file: this machine from
    the window, else the shop's LAN address; never a Host header."""
    base = f"http://127.0.0.1:{ctx.services.links.port}" if ctx.origin == WINDOW_ADDRESS else \
        ctx.services.links.lan_url()
    return f"{base}/downloads/{token}"


async def hand_over(ctx: UiContext, filename: str, media_type: str, write: Callable[[IO[bytes]], object]) -> bool:
    """Write the file off the event loop and open its link; False when writing it was refused."""
    token = await ctx.attempt(ctx.services.downloads.offer, filename, media_type, write)
    if token is None:
        return False
    await ctx.page.launch_url(download_url(ctx, token))
    return True
