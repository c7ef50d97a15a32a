"""The editors Settings › Response targets and Settings › Teams share: a week's business hours
and one row of targets per priority."""

from __future__ import annotations

from datetime import date, time

import flet as ft

from helpdesk.models import PRIORITIES
from helpdesk.services.calendar import BusinessCalendar
from helpdesk.services.sla import Policy
from helpdesk.ui.widgets import sync_value

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DEFAULT_MINUTES = (240, 480, 2400)  # what a priority with no target yet starts from


def _clock(text: str | None) -> time:
    """A time as people type it: 8:00, 08:00, 8.30 or 8."""
    clean = (text or "").strip().replace(".", ":")
    if clean.isdigit():
        clean += ":00"
    try:
        return time.fromisoformat(clean.zfill(5))
    except ValueError:
        raise ValueError(f"{text!r} is not a time of day like 8:00") from None


def hours_words(calendar: BusinessCalendar) -> str:
    """"Mon-Fri 08:00-17:00, Sat 08:00-12:00 (Europe/Berlin)": a schedule in one line."""
    if calendar.around_the_clock:
        return "around the clock"
    groups: list[tuple[list[int], str]] = []
    for day in range(7):
        spans = calendar.hours.get(day)
        if not spans:
            continue
        text = ", ".join(f"{a:%H:%M}-{'24:00' if b == time.max else format(b, '%H:%M')}" for a, b in spans)
        if groups and groups[-1][1] == text and groups[-1][0][-1] == day - 1:
            groups[-1][0].append(day)
        else:
            groups.append(([day], text))
    days = ", ".join((DAY_NAMES[d[0]] if len(d) == 1 else f"{DAY_NAMES[d[0]]}-{DAY_NAMES[d[-1]]}") + f" {text}"
                     for d, text in groups)
    return f"{days or 'no working days'} ({calendar.timezone})"


class HoursEditor:
    """A row per weekday (worked or not, opening and closing time, and a break if it has one: a
    Saturday may close at noon, a weekday for lunch), a time zone and holidays."""

    def __init__(self, calendar: BusinessCalendar) -> None:
        usual = next(iter(calendar.hours.values()), ((time(9), time(17)),))[0]  # what a day ticked later starts from
        self.days: list[tuple[ft.Checkbox, ft.TextField, ft.TextField, ft.TextField, ft.TextField]] = []
        self._before = calendar.hours
        for day, name in enumerate(DAY_NAMES):
            spans = calendar.hours.get(day)
            opens, closes = (spans[0][0], spans[-1][1]) if spans else usual
            pause = (spans[0][1], spans[1][0]) if spans and len(spans) > 1 else None
            self.days.append((
                ft.Checkbox(label=name, value=bool(spans)),
                ft.TextField(on_change=sync_value, value=opens.strftime("%H:%M"), width=100, dense=True,
                             label="Opens", tooltip=f"{name} opens"),
                ft.TextField(on_change=sync_value, value="24:00" if closes == time.max else closes.strftime("%H:%M"),
                             width=100, dense=True, label="Closes", tooltip=f"{name} closes"),
                # A lunch break: closed from … until … (both empty: open all through).
                ft.TextField(on_change=sync_value, value=pause[0].strftime("%H:%M") if pause else "", width=130,
                             dense=True, label="Break from", tooltip=f"{name}: closed for a break from (optional)"),
                ft.TextField(on_change=sync_value, value=pause[1].strftime("%H:%M") if pause else "", width=130,
                             dense=True, label="Break until", tooltip=f"{name}: open again at (optional)")))
        self.zone = ft.TextField(on_change=sync_value, value=calendar.timezone, width=220, dense=True,
                                 label="Time zone")
        self.holidays = ft.TextField(on_change=sync_value, multiline=True, min_lines=1,
                                     value=", ".join(d.isoformat() for d in sorted(calendar.holidays)),
                                     label="Holidays (YYYY-MM-DD, comma separated)")
        # The tick in a fixed width (a Checkbox's own width scales the box): the times line up.
        self.controls: list[ft.Control] = [*(ft.Row([ft.Container(row[0], width=90), *row[1:]], spacing=8, wrap=True)
                                             for row in self.days),
                                           self.zone, self.holidays]

    def value(self) -> BusinessCalendar:
        """The schedule as typed; ValueError says what is wrong."""
        hours = {}
        for day, (worked, opens, closes, pause_from, pause_until) in enumerate(self.days):
            if not worked.value:
                continue
            start = _clock(opens.value)
            end = time.max if (closes.value or "").strip() == "24:00" else _clock(closes.value)
            if end <= start:
                raise ValueError(f"on {DAY_NAMES[day]} it closes before it opens")
            given = [(f.value or "").strip() for f in (pause_from, pause_until)]
            if all(given):
                off, back = _clock(given[0]), _clock(given[1])
                if not start < off < back < end:
                    raise ValueError(f"on {DAY_NAMES[day]} the break must begin after it opens and end before "
                                     "it closes")
                spans: tuple[tuple[time, time], ...] = ((start, off), (back, end))
            elif any(given):
                raise ValueError(f"on {DAY_NAMES[day]} the break needs both times, or neither")
            else:
                spans = ((start, end),)
            before = self._before.get(day, ())
            # A day with more than one break (set through the API) keeps them while nothing shown changed.
            if len(before) > 2 and (before[0][0], before[0][1], before[1][0], before[-1][1]) == \
                    (start, spans[0][1], spans[-1][0] if len(spans) > 1 else None, end):
                spans = before
            hours[day] = spans
        dates = frozenset(date.fromisoformat(d.strip()) for d in (self.holidays.value or "").split(",") if d.strip())
        calendar = BusinessCalendar(timezone=(self.zone.value or "UTC").strip(), hours=hours, holidays=dates)
        calendar.tz  # noqa: B018  (an unknown zone fails here)
        return calendar


class TargetsEditor:
    """First reply, next reply and resolution minutes, and whether they count business hours only,
    for each priority."""

    def __init__(self, policies: dict[str, Policy]) -> None:
        self.fields: dict[str, tuple[ft.TextField, ft.TextField, ft.TextField, ft.Checkbox]] = {}
        self.controls: list[ft.Control] = []
        for priority in PRIORITIES:
            p = policies.get(priority)
            minutes = (p.first_response_minutes, p.next_response_minutes, p.resolution_minutes) if p \
                else DEFAULT_MINUTES
            first, nxt, resolution = (ft.TextField(on_change=sync_value, value=str(v), width=100, dense=True,
                                                   keyboard_type=ft.KeyboardType.NUMBER, label=label)
                                      for v, label in zip(minutes, ("First reply", "Next reply", "Resolution")))
            business = ft.Checkbox(label="business hours", value=p.business_hours if p else True)
            self.fields[priority] = (first, nxt, resolution, business)
            self.controls.append(ft.Row([ft.Text(priority.title(), width=80, weight=ft.FontWeight.BOLD), first, nxt,
                                         resolution, business], spacing=12, wrap=True))

    def value(self) -> list[Policy]:
        """The targets as typed; ValueError names the priority whose minutes are not numbers."""
        policies = []
        for priority, (first, nxt, resolution, business) in self.fields.items():
            try:
                minutes = [int(first.value or 0), int(nxt.value or 0), int(resolution.value or 0)]
            except ValueError:
                raise ValueError(f"{priority.title()}: targets are whole numbers of minutes") from None
            policies.append(Policy(priority, *minutes, bool(business.value)))
        return policies
