"""Settings › Response targets: per-priority SLA minutes and the business hours they count in."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.settings.hours_editor import HoursEditor, TargetsEditor


class TargetsSection(Section):

    async def build(self) -> ft.Control:
        policies = await self.ctx.read(self.ctx.services.sla.policies)
        calendar = await self.ctx.read(self.ctx.services.sla.calendar)
        targets, hours = TargetsEditor(policies), HoursEditor(calendar)

        async def save_policies(e: Any) -> None:
            try:
                chosen = targets.value()
            except ValueError as exc:
                self.ctx.toast(f"{exc}.", error=True)
                return
            for p in chosen:
                if await self.ctx.attempt(self.ctx.services.sla.set_policy, p.priority, p.first_response_minutes,
                                          p.next_response_minutes, p.resolution_minutes, p.business_hours,
                                          self.ctx.actor) is None:
                    return
            self.ctx.toast("Response targets saved; running clocks were updated.")

        async def save_calendar(e: Any) -> None:
            try:
                new = hours.value()
            except Exception as exc:
                self.ctx.toast(f"The business hours were not saved: {exc}", error=True)
                return
            await self.ctx.attempt(self.ctx.services.sla.set_calendar, new, self.ctx.actor,
                                   success="Business hours saved; running clocks were updated.")

        return ft.Column([
            *heading("Response targets", "How soon customers get an answer, per priority, in minutes. "
                           "Clocks run only while a conversation waits on the team; at 80 % it shows as at risk. "
                           "A team may keep its own (Settings › Teams)."),
            *targets.controls,
            ft.FilledButton("Save targets", on_click=save_policies),
            ft.Divider(),
            ft.Text("Business hours", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            *hours.controls,
            ft.FilledButton("Save business hours", on_click=save_calendar),
        ], spacing=12, scroll=ft.ScrollMode.AUTO)
