"""The command palette (Ctrl+K, or the keyboard button on a phone): one list of what an agent
does all day, narrowed as they type: go to a conversation by number, customer or subject; run a
macro on the open one; assign it, move it to a team, change its status; switch view or team
queue. Enter runs the first; a click runs any."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import flet as ft

from helpdesk.ui.widgets import close_dialog, updates_itself

SHOWN = 8  # commands listed at once
SEARCH_FROM = 3  # characters typed before conversations are searched


@dataclass(frozen=True)
class Command:
    label: str
    run: Callable[[], Awaitable[None]]
    icon: str = ft.Icons.CHEVRON_RIGHT

    def matches(self, words: list[str]) -> bool:
        label = self.label.lower()
        return all(w in label for w in words)


class Palette:
    def __init__(self, page: ft.Page, commands: Callable[[], list[Command]],
                 find: Callable[[str], Awaitable[list[Command]]]) -> None:
        """`commands`: what may be done now (read when it opens); `find`: conversations for what
        was typed (a number, a name, words of a subject or a message)."""
        self.page = page
        self._commands, self._find = commands, find
        self._all: list[Command] = []
        self._shown: list[Command] = []
        self._found: list[Command] = []
        self._asked = ""
        self._found_for = ""  # what the conversations in _found were found for
        self._controls()

    def _controls(self) -> None:
        """Its field, list and dialog, made anew each time it opens: a closed dialog's late
        dismissal (Flet takes it off its stack when the browser says so) must not take the
        next one with it."""
        self.field = ft.TextField(label="Type a command, a customer or #number", autofocus=True, dense=True,
                                  prefix_icon=ft.Icons.KEYBOARD_COMMAND_KEY, on_change=self._typed,
                                  on_submit=self._run_first)
        self.list = ft.Column([], spacing=0, tight=True)
        self.dialog = ft.AlertDialog(title=ft.Text("Commands"), content=ft.Column([self.field, self.list], tight=True,
                                                                                  width=520),
                                     actions=[ft.TextButton("Close", on_click=lambda e: close_dialog(self.page))])

    async def open(self) -> None:
        if self.dialog.open:  # Ctrl+K again while it is open: it stays as it is
            return
        self._controls()
        self._all, self._found, self._asked, self._found_for = self._commands(), [], "", ""
        self._draw()
        self.page.show_dialog(self.dialog)
        self.page.update()

    def _draw(self) -> None:
        words = (self.field.value or "").lower().split()
        self._shown = (self._found + [c for c in self._all if c.matches(words)])[:SHOWN]
        self.list.controls = [ft.ListTile(title=ft.Text(c.label), leading=ft.Icon(c.icon), dense=True,
                                          on_click=lambda e, c=c: self.page.run_task(self._run, c))
                              for c in self._shown] or [ft.Text("Nothing matches.", italic=True)]

    async def _typed(self, e: Any) -> None:
        updates_itself()
        if getattr(e, "control", self.field) is not self.field:  # a closed palette's field, late
            return
        typed = (self.field.value or "").strip()
        self._asked = typed
        self._found, self._found_for = [], ""
        self._draw()
        self.page.update(self.list)
        if _searched(typed):
            await self._search(typed)

    async def _search(self, typed: str) -> None:
        found = await self._find(typed)
        if self._asked == typed:  # still what is typed: no older answer lands over a newer one
            self._found, self._found_for = found, typed
            self._draw()
            self.page.update(self.list)

    async def _run_first(self, _e: Any) -> None:
        """Enter runs the first command for what is typed, even when it comes before the
        search for the last key has answered (a quick typist's Enter must not be lost)."""
        updates_itself()
        typed = (self.field.value or "").strip()
        if _searched(typed) and self._found_for != typed:
            self._asked = typed
            await self._search(typed)
        if self._shown:
            await self._run(self._shown[0])

    async def _run(self, command: Command) -> None:
        close_dialog(self.page)
        self.page.update()
        await command.run()


def _searched(typed: str) -> bool:
    """Whether conversations are searched for what is typed: a number, or enough letters."""
    return bool(re.fullmatch(r"#?\d+", typed)) or len(typed) >= SEARCH_FROM
