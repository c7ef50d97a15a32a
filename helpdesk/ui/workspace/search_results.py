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


def search_results(page: ft.Page, text: str, hits: list[SearchHit], now: datetime,
                   on_open: OpenHit, on_close: Callable[[], Awaitable[None]], first: int | None = None) -> list[ft.Control]:
    """The heading and the hits; first: only that many hits for now (hit_rows draws the rest)."""
    controls: list[ft.Control] = [ft.Container(padding=ft.Padding.only(left=16, right=8, top=8), content=ft.Row([
        ft.Text(f"{len(hits)} result{'s' if len(hits) != 1 else ''} for “{text}”",
                theme_style=ft.TextThemeStyle.TITLE_SMALL, expand=True),
        ft.TextButton("Close search", icon=ft.Icons.CLOSE, on_click=lambda e: page.run_task(on_close)),
    ]))]
    if not hits:
        controls.append(ft.Container(padding=24, content=ft.Text(
            "Nothing found. Search looks in messages, notes, subjects, names, emails and phone numbers.",
            color=ft.Colors.ON_SURFACE_VARIANT)))
    return controls + hit_rows(page, hits[:first], now, on_open)


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
