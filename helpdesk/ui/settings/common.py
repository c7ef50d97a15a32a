"""What every settings section shares."""

from __future__ import annotations

from typing import Awaitable, Callable

import flet as ft

from helpdesk.ui.context import UiContext


def heading(title: str, text: str) -> list[ft.Control]:
    return [ft.Text(title, theme_style=ft.TextThemeStyle.HEADLINE_SMALL),
            ft.Text(text, color=ft.Colors.ON_SURFACE_VARIANT)]


class Section:
    """One settings page: `build` returns its content; `rerender` draws it again after a change."""

    def __init__(self, ctx: UiContext, rerender: Callable[[], Awaitable[None]]) -> None:
        self.ctx = ctx
        self.rerender = rerender

    async def build(self) -> ft.Control:
        raise NotImplementedError
