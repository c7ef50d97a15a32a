"""Search results in place of the inbox list: each hit with its highlighted snippet; a
click opens the conversation at that message."""

from __future__ import annotations

from datetime import datetime
from typing import Awaitable, Callable

import flet as ft

from helpdesk.services.search import SearchHit
from helpdesk.ui import format as fmt

OpenHit = Callable[[int, int | None], Awaitable[None]]
KIND_LABELS = {"message": "Message", "note": "Internal note", "subject": "Subject", "customer": "Customer"}


def results_heading(text: str, count: int) -> str:
    return f"{count} result{'s' if count != 1 else ''} for “{text}”"


def search_results(page: ft.Page, hits: list[SearchHit], now: datetime, on_open: OpenHit,
                   first: int | None = None) -> list[ft.Control]:
    """The hits; first: only that many for now (hit_rows draws the rest)."""
    if not hits:
        return [ft.Container(padding=24, content=ft.Text(
            "Nothing found. Search looks in messages, notes, subjects, names, emails and phone numbers.",
            color=ft.Colors.ON_SURFACE_VARIANT))]
    return hit_rows(page, hits[:first], now, on_open)


def hit_rows(page: ft.Page, hits: list[SearchHit], now: datetime, on_open: OpenHit) -> list[ft.Control]:
    controls: list[ft.Control] = []
    for hit in hits:
        spans = [ft.TextSpan(piece, ft.TextStyle(weight=ft.FontWeight.BOLD, bgcolor=ft.Colors.YELLOW_200)
                             if is_hit else None) for piece, is_hit in hit.segments]
        controls.append(ft.Container(
            padding=ft.Padding.symmetric(horizontal=16, vertical=10),
            border=ft.Border.only(bottom=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
            on_click=(lambda e, cid=hit.conversation_id, mid=hit.message_id: page.run_task(on_open, cid, mid)) if hit.conversation_id else None,
            content=ft.Column([
                ft.Row([ft.Text(hit.customer_name, weight=ft.FontWeight.BOLD, expand=True),
                        ft.Text(fmt.ago(hit.at, now), size=12, color=ft.Colors.ON_SURFACE_VARIANT)]),
                ft.Text(f"{KIND_LABELS[hit.kind]} · {hit.subject}", size=12, color=ft.Colors.ON_SURFACE_VARIANT,
                        max_lines=1, overflow=ft.TextOverflow.ELLIPSIS),
                ft.Text(spans=spans, size=13, max_lines=3),
            ], spacing=2)))
    return controls
