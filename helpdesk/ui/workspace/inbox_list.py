"""The inbox list. Each conversation keeps its row control for as long as it is listed:
a refresh changes the texts that changed and reorders, it never rebuilds rows (a rebuilt
row under the pointer swallows the click, and every new control costs time to build,
send and lay out). Rows are isolated: updating the list sends the order and the rows'
highlight without Flet walking every row's insides, and only the rows whose texts changed
are updated themselves (`show` and `tick` return them)."""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Awaitable, Callable

import flet as ft

from helpdesk.models import OPEN
from helpdesk.services.inbox import InboxRow
from helpdesk.ui import format as fmt
from helpdesk.ui.widgets import Isolated

PRIORITY_COLORS = {"urgent": ft.Colors.RED, "high": ft.Colors.ORANGE, "normal": None, "low": ft.Colors.BLUE_GREY}
EMPTY_HINTS = {"mine": "Nothing assigned to you. Take one from Unassigned, or reply to one to take it.",
               "unassigned": "Every conversation has someone on it.",
               "all": "No conversations here yet. Customer messages arrive through the intake API "
                      "(see Settings › API tokens).",
               "overdue": "Nothing is overdue: every customer has had an answer in time.",
               "at_risk": "Nothing is close to its response-time target.",
               "bot": "No bot is answering anyone first. A bot token can be made the first responder for a "
                      "channel in Settings › API tokens.",
               "spam": "No spam. Conversations marked as spam, blocked senders' messages and mail its server "
                       "flagged wait here 30 days, then are erased.",
               "mentions": "Nobody has mentioned you. A colleague asks you with @ and your name in an internal note; "
                           "it waits here until you open the conversation."}


ROW_HEIGHT_AT_LEAST = 72  # px: a row's four lines and padding take more than this
# What is below the screen (the rest of a list, the rest of a thread's page) follows a click's
# answer this much later: sent at once it reached the browser while it was still drawing the answer.
REST_AFTER = 0.1


def first_screen(window_height: float | None) -> int:
    """How many rows surely fill the list on this window, and one to spare."""
    return int((window_height or 800) // ROW_HEIGHT_AT_LEAST) + 2


def badge(text: str, bgcolor: str | None, color: str | None = None) -> ft.Control:
    return ft.Container(ft.Text(text, size=11, color=color), bgcolor=bgcolor, border_radius=8,
                        padding=ft.Padding.symmetric(horizontal=6, vertical=1))


class RowControl:
    """One conversation in the list; `show` changes only what differs from last time."""

    def __init__(self, conversation_id: int, on_open: Callable[[int], Awaitable[None]], page: ft.Page) -> None:
        self.id = conversation_id
        self.dot = ft.Container(width=8, height=8, border_radius=4)
        self.name = ft.Text("", expand=True, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS)
        self.corner_icon = ft.Icon(ft.Icons.SCHEDULE, size=14, visible=False)
        self.corner_text = ft.Text("", size=12)
        self.title = ft.Text("", max_lines=1, overflow=ft.TextOverflow.ELLIPSIS, size=13)
        self.preview = ft.Text("", size=12, color=ft.Colors.ON_SURFACE_VARIANT, max_lines=1,
                               overflow=ft.TextOverflow.ELLIPSIS)
        self.badges = ft.Row([], spacing=6, tight=True)
        self.assignee = ft.Text("", size=11, color=ft.Colors.ON_SURFACE_VARIANT, max_lines=1)
        self.control = Isolated(
            key=f"row-{conversation_id}", padding=ft.Padding.symmetric(horizontal=16, vertical=10),
            border=ft.Border.only(bottom=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
            on_click=lambda e: page.run_task(on_open, self.id),
            content=ft.Column([
                ft.Row([self.dot, self.name, ft.Row([self.corner_icon, self.corner_text], spacing=2, tight=True)],
                       spacing=6),
                self.title, self.preview,
                ft.Row([self.badges, ft.Container(expand=True), self.assignee], spacing=6),
            ], spacing=2))
        self._badge_key: tuple = ()
        self._drawn: tuple = ()
        self._time_key: tuple = ()

    def rebind(self, conversation_id: int) -> "RowControl":
        """The same controls for another conversation (a change of view): the next `show` draws
        it whole. Texts change in place instead of 13 new controls built, sent and laid out."""
        self.id = conversation_id
        self.control.key = f"row-{conversation_id}"
        self._drawn, self._time_key, self._badge_key = (), (), ()
        return self

    def show(self, row: InboxRow, selected: bool, now: datetime) -> bool:
        """Show the row's state; True when anything inside it changed (its own update is due)."""
        timed = self.show_time(row, now)
        if (row, selected) == self._drawn:
            return timed
        self._drawn = (copy(row), selected)  # a copy: the controller marks its rows read in place
        weight = ft.FontWeight.BOLD if row.unread else ft.FontWeight.W_500
        self.control.bgcolor = ft.Colors.SECONDARY_CONTAINER if selected else None
        self.dot.bgcolor = ft.Colors.PRIMARY if row.unread else ft.Colors.TRANSPARENT
        self.name.value, self.name.weight = row.customer_name, weight
        self.title.value, self.title.weight = row.title, weight
        self.preview.value = row.preview
        who = f"Bot: {row.bot_name}" if row.bot_name else row.assignee_name or "Unassigned"
        self.assignee.value = f"{row.team_name} · {who}" if row.team_name else who
        self.assignee.italic = row.assignee_name is None and not row.bot_name
        return True

    def show_time(self, row: InboxRow, now: datetime) -> bool:
        """The parts that change as time passes: the deadline (or age) and the waiting time;
        True when what they say changed. Worked out first and set on the controls only when
        they say something else (setting a control's field costs more than the words: every
        live refresh asks each row on screen)."""
        waited = fmt.waiting(row.waiting_since, now) if row.status == OPEN and row.waiting_since \
            else fmt.ago(row.last_message_at, now)
        if row.due is not None:  # top right: the response-time state while a clock runs
            overdue = row.due.due_at <= now
            colour = ft.Colors.ERROR if overdue else ft.Colors.ORANGE_800 if row.due.at_risk else \
                ft.Colors.ON_SURFACE_VARIANT
            corner = (fmt.due(row.due.target, row.due.due_at, now), colour, True,
                      ft.Icons.ALARM if overdue else ft.Icons.SCHEDULE, ft.FontWeight.BOLD if overdue else None)
        else:
            corner = (waited, ft.Colors.ON_SURFACE_VARIANT, False, None, None)
            waited = ""
        key = (waited, row.priority, tuple(row.tags[:2]))
        time_key = (key, corner)
        if time_key == self._time_key:
            return False
        self._time_key = time_key
        text, colour, with_icon, icon, weight = corner
        self.corner_text.value, self.corner_text.color, self.corner_text.weight = text, colour, weight
        self.corner_icon.visible = with_icon
        if with_icon:
            self.corner_icon.icon, self.corner_icon.color = icon, colour
        if key != self._badge_key:
            self._badge_key = key
            badges: list[ft.Control] = [ft.Text(waited, size=11, color=ft.Colors.ON_SURFACE_VARIANT)] if waited else []
            if row.priority != "normal":
                badges.append(badge(row.priority, PRIORITY_COLORS[row.priority], ft.Colors.WHITE))
            badges += [badge(tag, ft.Colors.SECONDARY_CONTAINER) for tag in row.tags[:2]]
            self.badges.controls = badges
        return True


@dataclass
class InboxChange:
    """What a drawing of the inbox changed, for the workspace to send."""

    title: bool  # the window title changed: it is on the page itself
    rows: list[ft.Control]  # rows on screen whose insides changed
    listed: bool = True  # rows came, went or moved: the list itself is sent
    over: list[ft.Control] = field(default_factory=list)  # parts over the rows it changed (over_list.py)


class InboxList:
    def __init__(self, page: ft.Page, on_open: Callable[[int], Awaitable[None]],
                 on_load_more: Callable[[], Awaitable[None]]) -> None:
        self.page = page
        self.on_open = on_open
        self.view = ft.ListView(expand=True, spacing=0)
        self.rows: dict[int, RowControl] = {}
        self.listed = True  # the last show() changed which rows are listed, or their order
        self.more = ft.Container(ft.TextButton("Load more", on_click=lambda e: page.run_task(on_load_more)),
                                 padding=8, alignment=ft.Alignment.CENTER)
        self.empty_title = ft.Text("", theme_style=ft.TextThemeStyle.TITLE_MEDIUM)
        self.empty_hint = ft.Text("", color=ft.Colors.ON_SURFACE_VARIANT, text_align=ft.TextAlign.CENTER)
        self.empty = ft.Container(padding=24, content=ft.Column([
            ft.Icon(ft.Icons.INBOX_OUTLINED, size=40, color=ft.Colors.OUTLINE), self.empty_title, self.empty_hint,
        ], horizontal_alignment=ft.CrossAxisAlignment.CENTER, spacing=6))
        self._shown: list[InboxRow] = []
        self._spare: list[RowControl] = []  # rows a first screen left over, for the rest of the list

    def show(self, rows: list[InboxRow], selected_id: int | None, now: datetime, more: bool, view: str,
             filtered: bool, recycle: bool = False, first: int | None = None) -> list[ft.Control]:
        """Lay out the rows; returns the rows already on screen whose insides changed: update
        them after the list (new rows go with the list). recycle (a change of view or filters,
        the pointer on the rail): rows whose conversations left the list show the ones that
        came in, instead of new rows. Never on a live refresh: a row must not turn into another
        conversation under the agent's pointer. first: only that many rows for now (what fits
        on screen; the click is answered sooner), the rest with the next call."""
        controls: list[ft.Control] = []
        changed: list[ft.Control] = []
        on_screen = {id(control) for control in self.view.controls}  # by identity: == compares every field
        listed = {r.id for r in rows}
        leaving = [i for i in self.rows if i not in listed]
        spare = self._spare + [self.rows.pop(i) for i in leaving] if recycle else []
        self._spare = []
        later = rows[first:] if first is not None else []
        rows = rows[:first] if first is not None else rows
        for row in rows:
            control = self.rows.get(row.id)
            if control is None and spare:
                control = self.rows[row.id] = spare.pop(0).rebind(row.id)
            if control is None:
                control = self.rows[row.id] = RowControl(row.id, self.on_open, self.page)
                control.show(row, row.id == selected_id, now)
            elif control.show(row, row.id == selected_id, now) and id(control.control) in on_screen:
                changed.append(control.control)
            controls.append(control.control)
        for gone in leaving:  # not shown again (those reused were taken out above)
            self.rows.pop(gone, None)
        if later:
            self._spare = spare
        elif more:
            controls.append(self.more)
        if not rows:
            self.empty_title.value = "Nothing here" if filtered else "All clear"
            self.empty_hint.value = "Nothing matches these filters." if filtered else EMPTY_HINTS[view]
            controls.append(self.empty)
        # The same rows in the same order (a live refresh of rows already listed): the list is left
        # as it is, so that only the rows that changed are sent (`listed` says which it was).
        old = self.view.controls
        self.listed = not (len(old) == len(controls) and all(a is b for a, b in zip(old, controls)))
        if self.listed:
            self.view.controls = controls
        self._shown = rows
        return changed

    def select(self, selected_id: int | None) -> list[ft.Control]:
        """Only the highlight moves: returns the (two) rows that changed, to update just those."""
        changed: list[ft.Control] = []
        for row in self._shown:
            control = self.rows.get(row.id)
            if control is None:
                continue
            bgcolor = ft.Colors.SECONDARY_CONTAINER if row.id == selected_id else None
            if control.control.bgcolor != bgcolor or (row.id == selected_id and control.dot.bgcolor != ft.Colors.TRANSPARENT):
                control.control.bgcolor = bgcolor
                if row.id == selected_id and not row.unread:
                    control.dot.bgcolor = ft.Colors.TRANSPARENT
                    control.name.weight = control.title.weight = ft.FontWeight.W_500
                control._drawn = (copy(row), row.id == selected_id)
                changed.append(control.control)
        return changed

    def tick(self, now: datetime) -> list[ft.Control]:
        """Minutes pass: 'waiting 5 min' becomes 'waiting 6 min' without touching anything else;
        returns the rows that now say something else."""
        return [control.control for row in self._shown
                if (control := self.rows.get(row.id)) is not None and control.show_time(row, now)]
