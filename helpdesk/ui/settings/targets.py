"""Settings → Response targets: per-priority SLA minutes and the business hours they count in."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import flet as ft

from helpdesk.models import PRIORITIES
from helpdesk.services.calendar import BusinessCalendar
from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.widgets import sync_value


class TargetsSection(Section):

    async def build(self) -> ft.Control:
        policies = await self.ctx.read(self.ctx.services.sla.policies)
        calendar = await self.ctx.read(self.ctx.services.sla.calendar)
        rows = []
        editors: dict[str, tuple] = {}
        for priority in PRIORITIES:
            p = policies.get(priority)
            fields = tuple(ft.TextField(on_change=sync_value, value=str(v), width=110, dense=True,
                                        keyboard_type=ft.KeyboardType.NUMBER, label=label)
                           for v, label in ((p.first_response_minutes if p else 240, "First reply"),
                                            (p.next_response_minutes if p else 480, "Next reply"),
                                            (p.resolution_minutes if p else 2400, "Resolution")))
            business = ft.Checkbox(label="business hours", value=p.business_hours if p else True)
            editors[priority] = (*fields, business)
            rows.append(ft.Row([ft.Text(priority.title(), width=80, weight=ft.FontWeight.BOLD), *fields, business],
                               spacing=12))

        async def save_policies(e: Any) -> None:
            for priority, (first, nxt, resolution, business) in editors.items():
                try:
                    values = [int(first.value or 0), int(nxt.value or 0), int(resolution.value or 0)]
                except ValueError:
                    self.ctx.toast(f"{priority.title()}: targets are whole numbers of minutes.", error=True)
                    return
                if await self.ctx.attempt(self.ctx.services.sla.set_policy, priority, *values, bool(business.value),
                                          self.ctx.actor) is None:
                    return
            self.ctx.toast("Response targets saved; running clocks were updated.")

        days = [ft.Checkbox(label=name, value=bool(calendar.hours.get(i))) for i, name in
                enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))]
        first_day = next(iter(calendar.hours.values()), ((time(9), time(17)),))[0]
        opens = ft.TextField(on_change=sync_value, value=first_day[0].strftime("%H:%M"), width=100, dense=True,
                             label="Opens")
        closes = ft.TextField(on_change=sync_value, value="24:00" if first_day[1] == time.max else
                              first_day[1].strftime("%H:%M"), width=100, dense=True, label="Closes")
        zone = ft.TextField(on_change=sync_value, value=calendar.timezone, width=220, dense=True, label="Time zone")
        holidays = ft.TextField(on_change=sync_value, value=", ".join(d.isoformat() for d in sorted(calendar.holidays)),
                                label="Holidays (YYYY-MM-DD, comma separated)", multiline=True, min_lines=1)

        async def save_calendar(e: Any) -> None:
            try:
                start = time.fromisoformat(opens.value or "")
                end = time.max if (closes.value or "") == "24:00" else time.fromisoformat(closes.value or "")
                if end <= start:
                    raise ValueError("closes before it opens")
                dates = frozenset(date.fromisoformat(d.strip()) for d in (holidays.value or "").split(",") if d.strip())
                new = BusinessCalendar(timezone=(zone.value or "UTC").strip(),
                                       hours={i: ((start, end),) for i, box in enumerate(days) if box.value},
                                       holidays=dates)
                new.tz  # noqa: B018  (an unknown zone fails here)
            except Exception as exc:
                self.ctx.toast(f"The business hours were not saved: {exc}", error=True)
                return
            await self.ctx.attempt(self.ctx.services.sla.set_calendar, new, self.ctx.actor,
                                   success="Business hours saved; running clocks were updated.")

        return ft.Column([
            *heading("Response targets", "How soon customers get an answer, per priority, in minutes. "
                           "Clocks run only while a conversation waits on the team; at 80 % it shows as at risk."),
            *rows,
            ft.FilledButton("Save targets", on_click=save_policies),
            ft.Divider(),
            ft.Text("Business hours", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Row(days, spacing=4), ft.Row([opens, closes, zone], wrap=True), holidays,
            ft.FilledButton("Save business hours", on_click=save_calendar),
        ], spacing=12, scroll=ft.ScrollMode.AUTO)
