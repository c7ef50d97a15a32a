"""The phone's bottom bar: eight views do not fit 390 pixels (their labels wrapped and their
counts were cut), so it holds the four an agent lives in (Mine, Mentions, Unassigned, All), each
count as a badge on its icon, and **More**, whose sheet lists the rest (Overdue, At risk, Bot,
Spam) with their counts. Chosen from the sheet, a view takes More's place in the bar."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import flet as ft

from helpdesk.ui.widgets import close_dialog
from helpdesk.ui.workspace.views import VIEW_ICONS, VIEW_LABELS

PHONE_VIEWS = ("mine", "mentions", "unassigned", "all")
MORE_VIEWS = tuple(v for v in VIEW_LABELS if v not in PHONE_VIEWS)
MORE = len(PHONE_VIEWS)  # the bar's index of More


def _badge(count: int) -> ft.Badge | None:
    return ft.Badge(label=str(count) if count < 1000 else "999+") if count else None


class PhoneBar:
    def __init__(self, page: ft.Page, choose: Callable[[str], Awaitable[None]]) -> None:
        self.page = page
        self.choose = choose
        self.view = "all"
        self.counts: dict[str, int] = {}
        self.control = ft.NavigationBar(
            selected_index=PHONE_VIEWS.index(self.view), on_change=self._on_change,
            label_behavior=ft.NavigationBarLabelBehavior.ALWAYS_SHOW,
            destinations=[ft.NavigationBarDestination(icon=ft.Icon(VIEW_ICONS[v][0]), label=VIEW_LABELS[v])
                          for v in PHONE_VIEWS] + [ft.NavigationBarDestination(icon=ft.Icon(ft.Icons.MORE_HORIZ),
                                                                               label="More")])

    def show(self, view: str, counts: dict[str, int]) -> None:
        """The view shown and every view's count (not sent: the caller updates the page). The
        same again changes nothing: new badges would be sent for nothing on every live refresh."""
        if view == self.view and counts == self.counts:
            return
        self.view, self.counts = view, dict(counts)
        for index, name in enumerate(PHONE_VIEWS):
            icon = self.control.destinations[index].icon
            assert isinstance(icon, ft.Icon)
            icon.badge = _badge(counts.get(name, 0))
        more = self.control.destinations[MORE]
        others = sum(counts.get(v, 0) for v in MORE_VIEWS if v not in ("spam", "bot"))  # what waits on the team
        if view in MORE_VIEWS:
            more.label, more.icon = VIEW_LABELS[view], ft.Icon(VIEW_ICONS[view][0], badge=_badge(counts.get(view, 0)))
        else:
            more.label, more.icon = "More", ft.Icon(ft.Icons.MORE_HORIZ, badge=_badge(others))
        self.control.selected_index = PHONE_VIEWS.index(view) if view in PHONE_VIEWS else MORE

    async def _on_change(self, _e: Any) -> None:
        index = self.control.selected_index or 0
        if index < MORE:
            await self.choose(PHONE_VIEWS[index])
            return
        self.control.selected_index = PHONE_VIEWS.index(self.view) if self.view in PHONE_VIEWS else MORE
        self.page.show_dialog(ft.BottomSheet(ft.Container(padding=ft.Padding.symmetric(vertical=12), content=ft.Column(
            [ft.ListTile(leading=ft.Icon(VIEW_ICONS[v][0]), title=ft.Text(VIEW_LABELS[v]),
                         trailing=ft.Text(str(self.counts.get(v, 0))), selected=v == self.view,
                         on_click=lambda e, v=v: self.page.run_task(self._picked, v))
             for v in MORE_VIEWS], tight=True))))
        self.page.update()

    async def _picked(self, view: str) -> None:
        close_dialog(self.page)
        await self.choose(view)
