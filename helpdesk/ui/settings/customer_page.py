"""Settings → Customer page: the name customers see on their conversation page, beside the
team's hours and the reply time it promises (from Response targets)."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.widgets import sync_value


class CustomerPageSection(Section):

    async def build(self) -> ft.Control:
        promise = self.ctx.services.promise
        name = ft.TextField(on_change=sync_value, label="Team name customers see", width=360,
                            value=await self.ctx.read(promise.team_name))

        async def save(e: Any) -> None:
            await self.ctx.attempt(promise.set_team_name, name.value or "", self.ctx.actor, success="Saved")

        return ft.Column([
            *heading("Customer page", "What customers see on their conversation page: who answers, whether you "
                                      "are in (your business hours in Response targets), and by when they can "
                                      "expect an answer, in your time zone."),
            ft.Row([name, ft.FilledButton("Save", on_click=save)]),
            ft.Text("For example: “Larsen Bikes · In now, until 17:00 today (CET)” and “We usually reply within "
                    "2 business hours — by 15:30 today (CET).”", color=ft.Colors.ON_SURFACE_VARIANT, size=12),
        ], spacing=12, scroll=ft.ScrollMode.AUTO)
