"""The "What's new" dialog: once for each agent after an upgrade, and from Settings › This
computer whenever asked."""

from __future__ import annotations

from typing import Awaitable, Callable

import flet as ft

from helpdesk.services.whatsnew import NOTES
from helpdesk.ui.widgets import close_dialog


def show_whats_new(page: ft.Page, notes: list[tuple[str, list[str]]] | None,
                   on_close: Callable[[], Awaitable[None]] | None = None) -> None:
    """`notes`: the versions to show (None: every version's)."""
    shown = NOTES if notes is None else notes

    async def close(_e: object) -> None:
        close_dialog(page)
        if on_close is not None:
            await on_close()

    body: list[ft.Control] = []
    for version, lines in shown:
        body.append(ft.Text(f"Helpdesk {version}", theme_style=ft.TextThemeStyle.TITLE_MEDIUM))
        body += [ft.Row([ft.Text("•"), ft.Text(line, expand=True, selectable=True)],
                        vertical_alignment=ft.CrossAxisAlignment.START) for line in lines]
    page.show_dialog(ft.AlertDialog(
        modal=True, title=ft.Text("What's new"),
        content=ft.Container(ft.Column(body, tight=True, spacing=8, scroll=ft.ScrollMode.AUTO), width=560),
        actions=[ft.FilledButton("Got it", on_click=close)]))
    page.update()
