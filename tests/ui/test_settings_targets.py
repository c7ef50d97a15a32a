"""Settings → Response targets on an offline page: the shop's week with a Saturday that closes
at noon and a Monday with a lunch break, and what is refused without saving anything (a target
typed as words, a break with one end)."""

from __future__ import annotations

import asyncio
from datetime import time

import flet as ft

from helpdesk.services.calendar import BusinessCalendar
from helpdesk.ui.context import UiContext
from helpdesk.ui.settings.targets import TargetsSection
from tests.ui.flet_wire import offline_page
from tests.ui.test_settings_teams import _walk


def test_a_saturday_that_closes_at_noon_and_a_target_in_words(app, ann):
    services = app.services
    services.sla.set_calendar(BusinessCalendar.office("Europe/Berlin"), ann)
    before = services.sla.policies()

    async def scenario() -> None:
        page, _wire = offline_page()

        async def navigate(_where: str) -> None: ...

        ctx = UiContext(page, services, app.settings, services.agents.get(ann.id), "test", navigate)
        shown = await TargetsSection(ctx, lambda: None).build()
        controls = list(_walk(shown))
        fields = [c for c in controls if isinstance(c, ft.TextField)]
        next(c for c in controls if isinstance(c, ft.Checkbox) and c.label == "Sat").value = True
        [*_, saturday_closes, _sunday] = [f for f in fields if f.label == "Closes"]
        saturday_closes.value = "12"
        buttons = {b.content if isinstance(b.content, str) else b.content.value: b
                   for b in controls if isinstance(b, ft.FilledButton)}
        await buttons["Save business hours"].on_click(None)
        hours = services.sla.calendar().hours
        assert hours[5] == ((time(9), time(12)),) and hours[0] == ((time(9), time(17)),) and 6 not in hours

        next(f for f in fields if f.label == "First reply").value = "an hour"
        await buttons["Save targets"].on_click(None)
        assert services.sla.policies() == before
        notes = [d.content.value for d in page._dialogs.controls if isinstance(d, ft.SnackBar) and d.open]
        assert notes[-1] == "Urgent: targets are whole numbers of minutes."

    asyncio.run(scenario())


def test_a_lunch_break_and_a_break_half_given(app, ann):
    services = app.services
    services.sla.set_calendar(BusinessCalendar.office("Europe/Berlin"), ann)

    async def scenario() -> None:
        page, _wire = offline_page()

        async def navigate(_where: str) -> None: ...

        ctx = UiContext(page, services, app.settings, services.agents.get(ann.id), "test", navigate)
        controls = list(_walk(await TargetsSection(ctx, lambda: None).build()))
        fields = [c for c in controls if isinstance(c, ft.TextField)]
        monday_from, *_ = [f for f in fields if f.label == "Break from"]
        monday_until, tuesday_until, *_ = [f for f in fields if f.label == "Break until"]
        monday_from.value, monday_until.value = "12", "13:00"
        save = next(b for b in controls if isinstance(b, ft.FilledButton) and b.content == "Save business hours")
        await save.on_click(None)
        hours = services.sla.calendar().hours
        assert hours[0] == ((time(9), time(12)), (time(13), time(17))) and hours[1] == ((time(9), time(17)),)

        tuesday_until.value = "13:00"  # a break with no beginning
        await save.on_click(None)
        notes = [d.content.value for d in page._dialogs.controls if isinstance(d, ft.SnackBar) and d.open]
        assert notes[-1] == "The business hours were not saved: on Tue the break needs both times, or neither"
        assert services.sla.calendar().hours[1] == ((time(9), time(17)),)  # nothing saved

        reopened = list(_walk(await TargetsSection(ctx, lambda: None).build()))
        shown = [c.value for c in reopened if isinstance(c, ft.TextField) and c.label in ("Break from", "Break until")]
        assert shown[:2] == ["12:00", "13:00"] and shown[2:4] == ["", ""]  # Monday's break is shown again

    asyncio.run(scenario())
