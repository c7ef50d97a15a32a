"""The open conversation's header: who and what, its status and deadline, who else is
here, and the actions (assign, priority, resolve/reopen, snooze, pending, tags, link).
Built once per session; opening another conversation changes values, not controls.
On a phone the actions move into a sheet so the thread keeps the screen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Awaitable, Callable

import flet as ft

from helpdesk.models import OPEN, PENDING, PRIORITIES, RESOLVED, SNOOZED, SPAM
from helpdesk.services.conversations import ConversationDetail
from helpdesk.ui import format as fmt
from helpdesk.ui.widgets import close_dialog, icon_button, sync_value
from helpdesk.ui.workspace.controller import snooze_presets

STATUS_LABELS = {OPEN: "Open", PENDING: "Pending", SNOOZED: "Snoozed", RESOLVED: "Resolved", "any": "Any status"}
STATUS_COLORS = {OPEN: ft.Colors.GREEN_100, PENDING: ft.Colors.AMBER_100, SNOOZED: ft.Colors.BLUE_100,
                 RESOLVED: ft.Colors.GREY_300, SPAM: ft.Colors.RED_100}
SHOWN_STATUS = {**STATUS_LABELS, SPAM: "Spam"}  # a conversation's own status (spam is a view, not a filter)
NO_TEAM = "-"


@dataclass
class HeaderActions:
    assign: Callable[[int | None], Awaitable[None]]
    priority: Callable[[str], Awaitable[None]]
    status: Callable[[str], Awaitable[None]]
    snooze: Callable[[datetime], Awaitable[None]]
    pick_snooze: Callable[[], Awaitable[None]]
    add_tag: Callable[[str], Awaitable[bool]]
    remove_tag: Callable[[str], Awaitable[None]]
    copy_link: Callable[[], Awaitable[None]]
    merge: Callable[[], Awaitable[None]]
    spam: Callable[[], Awaitable[None]]
    not_spam: Callable[[], Awaitable[None]]
    team: Callable[[int | None], Awaitable[None]]
    save_article: Callable[[], Awaitable[None]]


class ConversationHeader:
    def __init__(self, page: ft.Page, agents: list[Any], me: int, actions: HeaderActions, zone: tzinfo | None,
                 clock_now: Callable[[], datetime]) -> None:
        self.page, self.actions, self.zone, self.now = page, actions, zone, clock_now
        self.agents, self.me = agents, me
        run = page.run_task
        self.title = ft.Text("", theme_style=ft.TextThemeStyle.TITLE_LARGE, max_lines=1,
                             overflow=ft.TextOverflow.ELLIPSIS)
        self.subtitle = ft.Text("", color=ft.Colors.ON_SURFACE_VARIANT, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS)
        self.status_text = ft.Text("", size=12, color=ft.Colors.BLACK)
        self.status_chip = ft.Container(self.status_text, border_radius=10,
                                        padding=ft.Padding.symmetric(horizontal=10, vertical=2))
        self.due = ft.Text("", size=13, weight=ft.FontWeight.W_500, visible=False)
        self.presence = ft.Text("", italic=True, size=12, color=ft.Colors.TERTIARY, visible=False)
        self.assignee = ft.Text("")
        self.assign_menu = ft.PopupMenuButton(
            tooltip="Assign or transfer",
            content=ft.Container(ft.Row([ft.Icon(ft.Icons.PERSON_OUTLINE, size=18), self.assignee,
                                         ft.Icon(ft.Icons.ARROW_DROP_DOWN)], tight=True, spacing=6),
                                 border=ft.Border.all(1, ft.Colors.OUTLINE), border_radius=8,
                                 padding=ft.Padding.symmetric(horizontal=12, vertical=10)),
            items=[ft.PopupMenuItem(content="Assign to me", icon=ft.Icons.PERSON_ADD_ALT,
                                    on_click=lambda e: run(actions.assign, me))] +
                  [ft.PopupMenuItem(content=f"Assign to {a.name}", on_click=lambda e, a=a: run(actions.assign, a.id))
                   for a in agents if a.id != me] +
                  [ft.PopupMenuItem(content="Unassign", icon=ft.Icons.PERSON_OFF_OUTLINED,
                                    on_click=lambda e: run(actions.assign, None))])
        # Moves it to a team's queue; shown once the shop has teams. `team_names` is set by the
        # workspace from what it read for the inbox's team filter.
        self.team_names: dict[int, str] = {}
        self.team = ft.Dropdown(dense=True, width=150, label="Team", visible=False, tooltip="Team",
                                on_select=lambda e: run(actions.team, int(e.control.value) if e.control.value
                                                        and e.control.value != NO_TEAM else None),
                                options=[ft.DropdownOption(key=NO_TEAM, text="No team")])
        self.priority = ft.Dropdown(dense=True, width=130, label="Priority", tooltip="Priority",
                                    on_select=lambda e: run(actions.priority, e.control.value or "normal"),
                                    options=[ft.DropdownOption(key=p, text=p.title()) for p in PRIORITIES])
        self.resolve = ft.OutlinedButton("Resolve", icon=ft.Icons.CHECK_CIRCLE_OUTLINE,
                                         on_click=lambda e: run(actions.status, RESOLVED))
        self.reopen = ft.OutlinedButton("Reopen", icon=ft.Icons.REPLAY, on_click=lambda e: run(actions.status, OPEN))
        self.snooze_menu = ft.PopupMenuButton(content=ft.Row([ft.Icon(ft.Icons.SNOOZE), ft.Text("Snooze")], tight=True),
                                              tooltip="Snooze", items=[])
        self.pending = ft.TextButton("Set pending", on_click=lambda e: run(actions.status, PENDING))
        self.link = icon_button(ft.Icons.LINK, "Copy the customer's link", on_click=lambda e: run(actions.copy_link))
        self.merge = icon_button(ft.Icons.MERGE, "Merge with another of this customer's conversations",
                                 on_click=lambda e: run(actions.merge))
        self.article = icon_button(ft.Icons.MENU_BOOK_OUTLINED, "Save as a help article",
                                   on_click=lambda e: run(actions.save_article))
        self.spam = icon_button(ft.Icons.REPORT_OUTLINED, "Mark as spam", on_click=lambda e: run(actions.spam))
        self.not_spam = ft.OutlinedButton("Not spam", icon=ft.Icons.INBOX, on_click=lambda e: run(actions.not_spam),
                                          visible=False)
        self.tag_input = ft.TextField(dense=True, width=130, label="Add tag", prefix_icon=ft.Icons.LABEL_OUTLINE,
                                      on_submit=self._on_add_tag, on_change=sync_value)
        self.tags = ft.Row([self.tag_input], wrap=True, spacing=6, vertical_alignment=ft.CrossAxisAlignment.CENTER)
        self.actions_row = ft.Row([self.assign_menu, self.team, self.priority, self.resolve, self.reopen, self.snooze_menu,
                                   self.pending, self.link, self.merge, self.article, self.spam, self.not_spam], wrap=True,
                                  spacing=8)
        self.more = icon_button(ft.Icons.MORE_VERT, "Conversation actions", visible=False,
                                on_click=lambda e: self._open_sheet())
        self.control = ft.Container(padding=ft.Padding.only(left=20, right=12, top=12, bottom=8), content=ft.Column([
            ft.Row([ft.Column([self.title, self.subtitle, self.due], spacing=0, expand=True), self.status_chip,
                    self.more], vertical_alignment=ft.CrossAxisAlignment.START),
            self.actions_row, self.tags, self.presence,
        ], spacing=8))
        self._detail: ConversationDetail | None = None
        self._tag_names: list[str] = []

    def show(self, detail: ConversationDetail, now: datetime) -> None:
        self._detail = detail
        c = detail.conversation
        self.title.value = detail.customer_name
        self.subtitle.value = f"#{c.id} · {c.subject or 'No subject'} · via {c.channel}"
        self.status_text.value = SHOWN_STATUS[c.status] + (
            f" until {fmt.stamp(c.snoozed_until, now, self.zone)}" if c.snoozed_until else "")
        self.status_chip.bgcolor = STATUS_COLORS[c.status]
        self.show_due(now)
        self.assignee.value = f"Assigned to {detail.assignee.name}" if detail.assignee else "Unassigned"
        teams = sorted(self.team_names.items(), key=lambda t: t[1].lower())
        if [(o.key, o.text) for o in self.team.options[1:]] != [(str(i), n) for i, n in teams]:
            self.team.options = [ft.DropdownOption(key=NO_TEAM, text="No team")] + \
                [ft.DropdownOption(key=str(i), text=n) for i, n in teams]
        self.team.visible = bool(teams)
        self.team.value = str(c.team_id) if c.team_id in self.team_names else NO_TEAM
        self.priority.value = c.priority
        resolved, spam = c.status == RESOLVED, c.status == SPAM
        self.resolve.visible = self.snooze_menu.visible = not resolved and not spam
        self.reopen.visible = resolved
        self.pending.visible = c.status not in (PENDING, RESOLVED, SPAM)
        self.spam.visible, self.not_spam.visible = not spam, spam
        if not resolved:
            self.snooze_menu.items = [ft.PopupMenuItem(content=label, on_click=lambda e, t=when: self.page.run_task(
                self.actions.snooze, t)) for label, when in snooze_presets(now, self.zone)] + [
                ft.PopupMenuItem(content="Pick a date and time…", on_click=lambda e: self.page.run_task(
                    self.actions.pick_snooze))]
        if detail.tags != self._tag_names:
            self._tag_names = list(detail.tags)
            self.tags.controls = [ft.Chip(label=ft.Text(t), on_delete=lambda e, t=t: self.page.run_task(
                self.actions.remove_tag, t)) for t in detail.tags] + [self.tag_input]

    def show_due(self, now: datetime) -> None:
        due = self._detail.due if self._detail else None
        self.due.visible = due is not None
        if due is not None:
            overdue = due.due_at <= now
            self.due.value = f"{fmt.due(due.target, due.due_at, now)} ({fmt.stamp(due.due_at, now, self.zone)})"
            self.due.color = ft.Colors.ERROR if overdue else ft.Colors.ORANGE_800 if due.at_risk else \
                ft.Colors.ON_SURFACE_VARIANT

    def show_presence(self, words: str) -> None:
        self.presence.value = words
        self.presence.visible = bool(words)

    def compact(self, narrow: bool) -> None:
        """On a phone: title and status only; the actions live in a sheet behind ⋮."""
        self.actions_row.visible = self.tags.visible = not narrow
        self.more.visible = narrow

    async def _on_add_tag(self, e: Any) -> None:
        name = (self.tag_input.value or "").strip()
        if name and await self.actions.add_tag(name):
            self.tag_input.value = ""
            self.page.update()

    def _open_sheet(self) -> None:
        if self._detail is None:
            return
        c = self._detail.conversation
        run, act = self.page.run_task, self.actions

        def then(fn: Callable[..., Awaitable[None]], *args: Any) -> Callable[[Any], None]:
            def handler(_e: Any) -> None:
                close_dialog(self.page)
                run(fn, *args)
            return handler

        tiles: list[ft.Control] = [ft.ListTile(title=ft.Text("Assign to me"), leading=ft.Icon(ft.Icons.PERSON_ADD_ALT),
                                               on_click=then(act.assign, self.me))]
        tiles += [ft.ListTile(title=ft.Text(f"Assign to {a.name}"), on_click=then(act.assign, a.id))
                  for a in self.agents if a.id != self.me]
        if c.status == SPAM:
            tiles.append(ft.ListTile(title=ft.Text("Not spam"), leading=ft.Icon(ft.Icons.INBOX),
                                     on_click=then(act.not_spam)))
        elif c.status == RESOLVED:
            tiles.append(ft.ListTile(title=ft.Text("Reopen"), leading=ft.Icon(ft.Icons.REPLAY),
                                     on_click=then(act.status, OPEN)))
        else:
            tiles.append(ft.ListTile(title=ft.Text("Resolve"), leading=ft.Icon(ft.Icons.CHECK_CIRCLE_OUTLINE),
                                     on_click=then(act.status, RESOLVED)))
            tiles += [ft.ListTile(title=ft.Text(f"Snooze {label[0].lower()}{label[1:]}"), leading=ft.Icon(ft.Icons.SNOOZE),
                                  on_click=then(act.snooze, when)) for label, when in snooze_presets(self.now(), self.zone)]
            if c.status != PENDING:
                tiles.append(ft.ListTile(title=ft.Text("Set pending"), on_click=then(act.status, PENDING)))
        tiles += [ft.ListTile(title=ft.Text(f"Move to {name}"), leading=ft.Icon(ft.Icons.GROUPS_2_OUTLINED),
                              on_click=then(act.team, team_id))
                  for team_id, name in sorted(self.team_names.items(), key=lambda t: t[1].lower())
                  if team_id != c.team_id]
        tiles += [ft.ListTile(title=ft.Text(f"Priority: {p}"), on_click=then(act.priority, p))
                  for p in PRIORITIES if p != c.priority]
        tags = ", ".join(self._detail.tags) or "none"
        tiles.append(ft.ListTile(title=ft.Text(f"Tags: {tags}"), leading=ft.Icon(ft.Icons.LABEL_OUTLINE),
                                 on_click=lambda e: self._open_tags()))
        tiles.append(ft.ListTile(title=ft.Text("Copy the customer's link"), leading=ft.Icon(ft.Icons.LINK),
                                 on_click=then(act.copy_link)))
        tiles.append(ft.ListTile(title=ft.Text("Merge with another conversation"), leading=ft.Icon(ft.Icons.MERGE),
                                 on_click=then(act.merge)))
        tiles.append(ft.ListTile(title=ft.Text("Save as a help article"), leading=ft.Icon(ft.Icons.MENU_BOOK_OUTLINED),
                                 on_click=then(act.save_article)))
        if c.status != SPAM:
            tiles.append(ft.ListTile(title=ft.Text("Mark as spam"), leading=ft.Icon(ft.Icons.REPORT_OUTLINED),
                                     on_click=then(act.spam)))
        self.page.show_dialog(ft.BottomSheet(ft.Container(ft.Column(tiles, tight=True, scroll=ft.ScrollMode.AUTO),
                                                          padding=ft.Padding.symmetric(vertical=8))))
        self.page.update()

    def _open_tags(self) -> None:
        """Tags on a phone: a small dialog with the same add and remove as the wide header."""
        close_dialog(self.page)
        field = ft.TextField(label="Add tag", autofocus=True, dense=True, on_change=sync_value)
        chips = ft.Row(wrap=True, spacing=6)

        def draw() -> None:
            names = self._detail.tags if self._detail else []
            chips.controls = [ft.Chip(label=ft.Text(t), on_delete=lambda e, t=t: self.page.run_task(remove, t))
                              for t in names]

        async def add(_e: Any) -> None:
            if (field.value or "").strip() and await self.actions.add_tag(field.value.strip()):
                if self._detail is not None:
                    self._detail.tags = sorted({*self._detail.tags, field.value.strip().lower()})
                field.value = ""
                draw()
                self.page.update()

        async def remove(name: str) -> None:
            await self.actions.remove_tag(name)
            if self._detail is not None:
                self._detail.tags = [t for t in self._detail.tags if t != name]
            draw()
            self.page.update()

        field.on_submit = add
        draw()
        self.page.show_dialog(ft.AlertDialog(title=ft.Text("Tags"), content=ft.Column([chips, field], tight=True),
                                             actions=[ft.TextButton("Done", on_click=lambda e: close_dialog(self.page))]))
        self.page.update()
