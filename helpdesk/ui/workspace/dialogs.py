"""Dialogs the workspace opens: picking a date and time to snooze until."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any, Awaitable, Callable

import flet as ft


def pick_snooze_time(page: ft.Page, now: datetime, zone: tzinfo | None,
                     chosen: Callable[[datetime], Awaitable[None]]) -> None:
    """A date picker, then a time picker; `chosen` gets the moment in the agent's time zone."""
    local = now.astimezone(zone)

    async def picked_date(_e: Any) -> None:
        day = date_picker.value
        if day is None:
            return

        async def picked_time(_te: Any) -> None:
            t = time_picker.value
            if t is not None:
                await chosen(datetime(day.year, day.month, day.day, t.hour, t.minute, tzinfo=local.tzinfo))

        time_picker = ft.TimePicker(value=local.time().replace(second=0, microsecond=0), help_text="Wake up at",
                                    on_change=picked_time)
        page.show_dialog(time_picker)
        page.update()

    date_picker = ft.DatePicker(first_date=local.replace(tzinfo=None),
                                last_date=(local + timedelta(days=365)).replace(tzinfo=None),
                                value=(local + timedelta(days=1)).replace(tzinfo=None), help_text="Snooze until",
                                on_change=picked_date)
    page.show_dialog(date_picker)
    page.update()
