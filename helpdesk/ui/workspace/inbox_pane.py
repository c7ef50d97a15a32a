"""The inbox pane of the workspace: the counts on the rail, the list's title and filters, and
the rows, drawn for a view, a filter or a live refresh, and sent as little as shows the change.
A mixin of `shell.Workspace`."""

from __future__ import annotations

import asyncio
from typing import Any

import flet as ft

from helpdesk.models import OPEN
from helpdesk.ui.widgets import updates_itself
from helpdesk.ui.workspace.conversation_header import STATUS_LABELS
from helpdesk.ui.workspace.inbox_list import REST_AFTER, InboxChange, first_screen
from helpdesk.ui.workspace.views import VIEW_LABELS


class InboxPane:
    """Expects the Workspace's views and controller (`c`, `page`, `rail`, `inbox`, `over_list`, …)."""

    def _show_inbox(self, recycle: bool = False, first: int | None = None) -> InboxChange:
        """Draw counts, title and rows; says what to update. recycle: after a change of view or
        filters, rows that leave show the conversations that come; first: only the rows that
        fit on screen, for now (InboxList.show)."""
        change, over = self.over_list.changed_by(lambda: self._draw_inbox(recycle, first))
        change.over = over
        return change

    def _draw_inbox(self, recycle: bool, first: int | None) -> InboxChange:
        c = self.c
        title_changed = self._show_counts_labels()
        timed_view = self._timed_view()
        self.status_filter.disabled = timed_view
        self.filters.visible, self.close_search_button.visible = True, False
        if [o.key for o in self.tag_filter.options[1:]] != c.tags:  # new options: new controls to send
            self.tag_filter.options = [ft.DropdownOption(key="", text="Any")] + \
                [ft.DropdownOption(key=t, text=t) for t in c.tags]
        teams = [(str(i), name) for i, name in sorted(c.teams.items(), key=lambda t: t[1].lower())]
        if [(o.key, o.text) for o in self.team_filter.options[1:]] != teams:
            self.team_filter.options = [ft.DropdownOption(key="", text="All teams")] + \
                [ft.DropdownOption(key=k, text=name) for k, name in teams]
            self.team_filter.visible = bool(teams)
        filtered = (c.query.status != OPEN and not timed_view) or bool(c.query.tag or c.query.priority) or \
            c.query.team_id is not None
        rows = self.inbox.show(c.rows, c.selected_id, self.ctx.services.clock.now(), bool(c.cursor), c.query.view,
                               filtered, recycle, first)
        return InboxChange(title_changed, rows, self.inbox.listed)

    def _show_counts_labels(self) -> bool:
        """The counts beside the views, over the list and in the window title (True: it changed)."""
        c = self.c
        for index, view in enumerate(VIEW_LABELS):
            label = f"{VIEW_LABELS[view]} {c.counts[view]}"
            self.rail.destinations[index].label = label
        self.phone_bar.show(c.query.view, c.counts)
        status = OPEN if self._timed_view() else STATUS_LABELS[c.query.status].lower()
        team = f" · {c.teams[c.query.team_id]}" if c.query.team_id in c.teams else ""
        self.view_title.value = (f"Spam ({c.counts['spam']})" if c.query.view == "spam" else
                                 f"Mentions ({c.counts['mentions']} unread)" if c.query.view == "mentions" else
                                 f"{VIEW_LABELS[c.query.view]}{team} · {status} ({c.counts[c.query.view]})")
        title_changed = self.page.title != c.window_title()
        self.page.title = c.window_title()
        return title_changed

    def _timed_view(self) -> bool:
        """Overdue, At risk and Bot choose their own statuses (the status filter does not apply)."""
        return self.c.query.view in ("overdue", "at_risk", "bot", "spam", "mentions")

    def _update_counts(self) -> None:
        """Only the counts changed (a live refresh's, read apart from the rows): the rail and the
        list's title, not the list (whose diff costs as much again, for every agent signed in)."""
        title_changed, changed = self.over_list.changed_by(self._show_counts_labels)
        self._update_over_list(title_changed, *changed)

    def _update_over_list(self, title_changed: bool, *parts: ft.Control) -> None:
        self._title_stale = self._title_stale or title_changed
        if self.narrow or self.title_due():
            self._update_page()  # the window title (or the phone's bottom bar) is on the page itself
        elif parts:  # (none: Flet's page.update() would send the whole page)
            self.page.update(*parts)

    def _empty_shown(self) -> list[ft.Control]:
        """The empty state, if the list shows it (its words follow the filters)."""
        return [self.inbox.empty] if any(control is self.inbox.empty for control in self.inbox.view.controls) else []

    def _update_inbox(self, change: InboxChange) -> None:
        if change.listed:
            self._update_over_list(change.title, self.rail, self.list_pane)
        else:  # the same rows in the same order: what over them changed, and the rows that changed
            # (a list of 50 rows diffed for nothing was half of a live refresh: bench/live_refresh.py;
            # the mail banner is sent by its own check, live.py)
            self._update_over_list(change.title, *change.over, *self._empty_shown())
        if change.rows:
            self.page.update(*change.rows)  # rows are isolated: the list's update leaves their insides

    async def _load_more(self) -> None:
        await self.c.load_more()
        if self.c.searching is None:  # a search shown meanwhile stays
            self._update_inbox(self._show_inbox())

    async def _on_rail(self, _e: Any) -> None:
        updates_itself()
        await self._change_view()

    async def _pick_view(self, view: str) -> None:
        """A view chosen on the phone's bottom bar (or its More sheet)."""
        updates_itself()
        self.rail.selected_index = list(VIEW_LABELS).index(view)
        await self._change_view()

    async def _change_view(self) -> None:
        if self.c.searching is not None:
            self.c.clear_search()
            self.search_field.value = ""
        await self.c.set_view(list(VIEW_LABELS)[self.rail.selected_index or 0])
        self._show_other_list()

    async def _on_filter(self, _e: Any) -> None:
        updates_itself()
        await self.c.set_filters(self.status_filter.value, self.priority_filter.value, self.tag_filter.value,
                                 self.team_filter.value)
        self._show_other_list()

    def _show_other_list(self) -> None:
        """Another view or filter: the rows that fit on screen answer the click, the rest follow."""
        first = first_screen(self.page.height)
        self._update_inbox(self._show_inbox(recycle=True, first=first))
        if len(self.c.rows) > first and self._active:
            self.page.run_task(self._show_rest_of_list, self.c.rows)

    async def _show_rest_of_list(self, rows: list) -> None:
        await asyncio.sleep(REST_AFTER)  # the first screen goes out and is drawn first
        if self._active and self.c.rows is rows and self.c.searching is None:  # nothing came in between
            self._update_inbox(self._show_inbox(recycle=True))
