"""What is over the inbox's rows (the views on the rail with their counts, the list's title,
the filters, "Close search"), as words and switches. Compared before and after a drawing, it
says which of those parts the drawing changed: a live refresh sends only those. Flet would find
the same by diffing each part, but for every agent signed in and every customer message: the
filters alone (four dropdowns and their options) cost 0.4 ms a session to find unchanged,
the rail 0.14 ms (bench/live_refresh.py)."""

from __future__ import annotations

from typing import Any, Callable

import flet as ft


class OverList:
    def __init__(self, rail: ft.NavigationRail, title: ft.Text, filters: ft.Row, close_search: ft.Control,
                 tag_filter: ft.Dropdown, team_filter: ft.Dropdown, status_filter: ft.Dropdown) -> None:
        self.parts: tuple[ft.Control, ...] = (rail, title, filters, close_search)
        self._rail, self._title, self._filters, self._close = rail, title, filters, close_search
        self._tags, self._teams, self._status = tag_filter, team_filter, status_filter

    def state(self) -> tuple[Any, ...]:
        """One entry a part, in the order of `parts`."""
        return (
            (tuple(d.label for d in self._rail.destinations), self._rail.selected_index),
            self._title.value,
            (self._filters.visible, self._status.disabled, self._teams.visible,
             tuple(o.key for o in self._tags.options or ()),
             tuple((o.key, o.text) for o in self._teams.options or ())),
            self._close.visible,
        )

    def changed_by(self, draw: Callable[[], Any]) -> tuple[Any, list[ft.Control]]:
        """What `draw` returns, and the parts it changed."""
        before = self.state()
        result = draw()
        return result, [part for part, b, a in zip(self.parts, before, self.state()) if b != a]
