"""The Reports screen: the service's figures for a period, with simple charts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import flet as ft

from helpdesk.services.help.counts import HelpReport
from helpdesk.services.reports import Summary, TimeFigure
from helpdesk.ui import format as fmt
from helpdesk.ui.context import UiContext

PERIODS = {"7": "Last 7 days", "30": "Last 30 days", "90": "Last 90 days", "365": "Last 12 months",
           "730": "Last 2 years"}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def seconds_text(value: float | None) -> str:
    return "—" if value is None else fmt.duration(timedelta(seconds=value))


def share_text(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def group_days(per_day: list[dict]) -> list[dict]:
    """The per-day figures as they are (up to 92 days), by week (to 400 days), or by month."""
    if len(per_day) <= 92:
        return per_day
    by_month = len(per_day) > 400
    groups: dict[str, dict] = {}
    for day in per_day:
        when = date.fromisoformat(day["date"])
        key = when.strftime("%Y-%m") if by_month else (when - timedelta(days=when.weekday())).isoformat()
        group = groups.setdefault(key, {"date": ("" if by_month else "week of ") + key, "created": 0, "resolved": 0})
        group["created"] += day["created"]
        group["resolved"] += day["resolved"]
    return list(groups.values())


class ReportsScreen:
    def __init__(self, ctx: UiContext) -> None:
        self.ctx = ctx
        self.page = ctx.page
        self.services = ctx.services
        self.days = "30"
        self.team = ""  # a team's id as text: its queue's figures ("" the whole shop's)
        self.summary: Summary | None = None
        self.help = HelpReport(date.today(), date.today())  # the help center's figures for the same period
        self.content = ft.Column(expand=True, scroll=ft.ScrollMode.AUTO, spacing=16)

    async def show(self) -> None:
        period = ft.Dropdown(value=self.days, dense=True, width=180, label="Period", tooltip="Period",
                             options=[ft.DropdownOption(key=k, text=v) for k, v in PERIODS.items()],
                             on_select=self._on_period)
        teams = await self.ctx.read(self.services.teams.names)
        team = ft.Dropdown(value=self.team, dense=True, width=180, label="Team", tooltip="Team", visible=bool(teams),
                           options=[ft.DropdownOption(key="", text="The whole shop")] +
                                   [ft.DropdownOption(key=str(i), text=n) for i, n in sorted(teams.items(),
                                                                                             key=lambda t: t[1])],
                           on_select=self._on_team)
        self.page.appbar = self.ctx.back_bar("Reports", [
            team, period, ft.TextButton("Copy as CSV", icon=ft.Icons.CONTENT_COPY,
                                  on_click=lambda e: self.page.run_task(self._copy_csv)), ft.Container(width=8)])
        self.page.controls.clear()
        self.page.add(ft.Container(self.content, expand=True, padding=24))
        await self.render()

    async def _on_team(self, e: Any) -> None:
        self.team = e.control.value or ""
        await self.render()

    async def _on_period(self, e: Any) -> None:
        self.days = e.control.value or "30"
        await self.render()

    async def render(self) -> None:
        today = self.services.clock.now().date()
        start = today - timedelta(days=int(self.days) - 1)
        team_id = int(self.team) if self.team else None
        s, self.help = await self.ctx.read(lambda: (
            self.services.reports.summary(start, today, team_id=team_id),
            self.services.help_counts.report(start, today)))
        self.summary = s
        self.content.controls = [
            ft.Text(f"{PERIODS[self.days]}: {start.day} {start:%b} to {today.day} {today:%b %Y} ({s.timezone})",
                    color=ft.Colors.ON_SURFACE_VARIANT),
            ft.Row([
                self._card("First response", s.first_response, target=True),
                self._card("Next response", s.next_response),
                self._card("Resolution", s.resolution),
                self._kpi("Re-contact rate", share_text(s.recontact_rate), "back within 7 days of a resolution"),
                self._kpi("Satisfaction", "—" if s.csat_average is None else f"{s.csat_average:.1f} / 5",
                          f"{s.csat_count} rating{'s' if s.csat_count != 1 else ''}"),
                self._kpi("Waiting now", str(s.backlog_now), f"{s.overdue_now} overdue"),
                self._kpi("Turns per conversation",
                          "—" if s.turns_customer_average is None else
                          f"{s.turns_customer_average:.1f} / {s.turns_agent_average:.1f}", "customer / agent"),
            ], wrap=True, spacing=12, run_spacing=12),
            ft.Text("Conversations per day", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            self._per_day_chart(s),
            ft.Text("Busiest hours (customer messages)", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            self._heatmap(s),
            ft.Text("Per agent", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.DataTable(columns=[ft.DataColumn(ft.Text(h)) for h in
                                  ("Agent", "Replies", "First responses", "Median first response", "Resolutions",
                                   "Satisfaction")],
                         rows=[ft.DataRow(cells=[
                             ft.DataCell(ft.Text(a.name)), ft.DataCell(ft.Text(str(a.replies))),
                             ft.DataCell(ft.Text(str(a.first_response.count))),
                             ft.DataCell(ft.Text(seconds_text(a.first_response.median_seconds))),
                             ft.DataCell(ft.Text(str(a.resolutions))),
                             ft.DataCell(ft.Text("—" if a.csat_average is None else f"{a.csat_average:.1f}"))])
                             for a in s.agents]) if s.agents else ft.Text("No agent activity in this period.",
                                                                          italic=True),
            *self._payments(s),
            *self._help_center(self.help),
            ft.Container(height=24),  # room below the last row when scrolled to the end
        ]
        self.page.update()

    def _payments(self, s: Summary) -> list[ft.Control]:
        """Money asked for in the period, per currency (never added across currencies)."""
        if not s.payments:
            return []
        return [ft.Text("Payments", theme_style=ft.TextThemeStyle.TITLE_MEDIUM), ft.Row([
            control for m in s.payments for control in (
                self._kpi(f"Requested ({m['currency']})", f"{m['requested']} {m['currency']}",
                          f"{m['requested_count']} request{'s' if m['requested_count'] != 1 else ''}"),
                self._kpi(f"Paid ({m['currency']})", f"{m['paid']} {m['currency']}", f"{m['paid_count']} paid"),
                self._kpi(f"Outstanding ({m['currency']})", f"{m['outstanding']} {m['currency']}",
                          f"{m['outstanding_count']} waiting"))], wrap=True, spacing=12, run_spacing=12)]

    def _help_center(self, h: HelpReport) -> list[ft.Control]:
        """What the help center did in the period (the whole shop's: articles belong to no team)."""
        if not h.articles and not h.searches:
            return []
        misses = ", ".join(f"{q} ({n})" for q, n in h.unanswered[:10]) or "none"
        return [ft.Text("Help center", theme_style=ft.TextThemeStyle.TITLE_MEDIUM), ft.Row([
            self._kpi("Article views", str(h.views), f"{len(h.articles)} article{'s' if len(h.articles) != 1 else ''}"),
            self._kpi("Conversations avoided", str(h.deflected), "“That answered it” in the chat"),
            self._kpi("Helped", str(h.helped), "“Did this help?” yes"),
            self._kpi("Searches", str(h.searches), f"{sum(n for _, n in h.unanswered)} found nothing"),
        ], wrap=True, spacing=12, run_spacing=12),
            ft.DataTable(columns=[ft.DataColumn(ft.Text(c), numeric=i > 0) for i, c in enumerate(
                ("Article", "Views", "Helped", "Did not help", "Suggested", "Avoided"))],
                rows=[ft.DataRow(cells=[ft.DataCell(ft.Text(a.title)), *(ft.DataCell(ft.Text(str(v))) for v in (
                    a.views, a.helped, a.not_helped, a.suggested, a.deflected))]) for a in h.articles[:20]])
            if h.articles else ft.Text("No article was read in this period.", italic=True),
            ft.Text(f"Searched for, nothing found: {misses}", selectable=True,
                    semantics_label=f"Searched for, nothing found: {misses}")]

    @staticmethod
    def _kpi(title: str, value: str, note: str) -> ft.Control:
        # One height for all (a note on two lines made its card taller and the row ragged).
        return ft.Card(content=ft.Container(width=220, height=124, padding=16, content=ft.Column([
            ft.Text(title, color=ft.Colors.ON_SURFACE_VARIANT, size=13),
            ft.Text(value, theme_style=ft.TextThemeStyle.HEADLINE_SMALL, weight=ft.FontWeight.BOLD),
            ft.Text(note, size=12, color=ft.Colors.ON_SURFACE_VARIANT),
        ], spacing=4)))

    def _card(self, title: str, figure: TimeFigure, target: bool = False) -> ft.Control:
        note = f"p90 {seconds_text(figure.p90_seconds)} · {figure.count} measured"
        if target:
            note += f" · {share_text(figure.within_target_share)} in target"
        return self._kpi(f"{title} (median)", seconds_text(figure.median_seconds), note)

    @staticmethod
    def _per_day_chart(s: Summary) -> ft.Control:
        """A bar pair a day across the whole width; past three months a pair a week, past a year a
        pair a month (a bar a day would be hundreds of controls to draw and too thin to read)."""
        periods = group_days(s.per_day)
        unit = "day" if len(periods) == len(s.per_day) else "week" if len(s.per_day) <= 400 else "month"
        peak = max([max(d["created"], d["resolved"]) for d in periods] + [1])
        height = 140
        days = []
        for day in periods:
            days.append(ft.Container(expand=True, height=height, content=ft.Row([
                ft.Container(expand=True, height=max(1, height * day["created"] / peak), bgcolor=ft.Colors.PRIMARY,
                             tooltip=f"{day['date']}: {day['created']} created"),
                ft.Container(expand=True, height=max(1, height * day["resolved"] / peak), bgcolor=ft.Colors.TERTIARY,
                             tooltip=f"{day['date']}: {day['resolved']} resolved"),
            ], spacing=1, vertical_alignment=ft.CrossAxisAlignment.END)))
        legend = ft.Row([ft.Container(width=12, height=12, bgcolor=ft.Colors.PRIMARY), ft.Text("created", size=12),
                         ft.Container(width=12, height=12, bgcolor=ft.Colors.TERTIARY), ft.Text("resolved", size=12),
                         ft.Text(f"peak {peak} a {unit}", size=12, color=ft.Colors.ON_SURFACE_VARIANT)], spacing=6)
        first, last = (s.per_day[0]["date"], s.per_day[-1]["date"]) if s.per_day else ("", "")
        axis = ft.Row([ft.Text(str(first), size=11, color=ft.Colors.ON_SURFACE_VARIANT), ft.Container(expand=True),
                       ft.Text(str(last), size=11, color=ft.Colors.ON_SURFACE_VARIANT)])
        return ft.Column([ft.Row(days, spacing=2 if len(days) <= 60 else 0,
                                 vertical_alignment=ft.CrossAxisAlignment.END), axis, legend], spacing=6)

    @staticmethod
    def _heatmap(s: Summary) -> ft.Control:
        """Weekdays by hours across the whole width, each row tall enough to read."""
        peak = max([max(row) for row in s.busiest_hours] + [1])
        rows = [ft.Row([ft.Container(width=40)] + [ft.Container(expand=True, content=ft.Text(
            f"{h:02d}" if h % 3 == 0 else "", size=10)) for h in range(24)], spacing=3)]
        for weekday, counts in enumerate(s.busiest_hours):
            cells = [ft.Container(width=40, content=ft.Text(WEEKDAYS[weekday], size=12))]
            for hour, count in enumerate(counts):
                cells.append(ft.Container(
                    expand=True, height=24, border_radius=3, tooltip=f"{WEEKDAYS[weekday]} {hour:02d}:00: {count}",
                    bgcolor=ft.Colors.with_opacity(min(1.0, 0.08 + 0.92 * count / peak), ft.Colors.PRIMARY) if count
                    else ft.Colors.SURFACE_CONTAINER_HIGH))
            rows.append(ft.Row(cells, spacing=3))
        return ft.Column(rows, spacing=3)

    async def _copy_csv(self) -> None:
        if self.summary is None:
            return
        await ft.Clipboard().set(self.services.reports.to_csv(self.summary) + (
            "\r\n" + self.services.help_counts.to_csv(self.help) if self.help.articles or self.help.searches else ""))
        self.ctx.toast("The report is on the clipboard as CSV (paste it into a spreadsheet).")
