"""The agent workspace: inbox list, conversation, customer panel, search. Live through
the event bus; every service call leaves the event loop."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import flet as ft

from helpdesk import events
from helpdesk.models import EVENT, IN, NOTE, PRIORITIES
from helpdesk.services.base import Actor
from helpdesk.services.canned import conversation_link
from helpdesk.services.conversations import ConversationDetail
from helpdesk.services.errors import NewCustomerMessages, NotFound
from helpdesk.services.inbox import InboxQuery, InboxRow
from helpdesk.services.presence import PRESENCE_CHANGED
from helpdesk.services.sla import SLA_BREACHED, Clocks, SlaRules
from helpdesk.ui import format as fmt
from helpdesk.ui.widgets import sync_value

from helpdesk import __version__

if TYPE_CHECKING:
    from helpdesk.ui.app import AgentApp


def version_label() -> str:
    return f"Helpdesk {__version__}"

NARROW = 820
VIEW_LABELS = {"mine": "Mine", "unassigned": "Unassigned", "all": "All", "overdue": "Overdue", "at_risk": "At risk"}
VIEW_ICONS = {"mine": (ft.Icons.PERSON_OUTLINE, ft.Icons.PERSON), "unassigned": (ft.Icons.INBOX_OUTLINED, ft.Icons.INBOX),
              "all": (ft.Icons.ALL_INBOX_OUTLINED, ft.Icons.ALL_INBOX), "overdue": (ft.Icons.ALARM, ft.Icons.ALARM_ON),
              "at_risk": (ft.Icons.HOURGLASS_BOTTOM, ft.Icons.HOURGLASS_FULL)}
STATUS_LABELS = {"open": "Open", "pending": "Pending", "snoozed": "Snoozed", "resolved": "Resolved", "any": "Any status"}
PRIORITY_COLORS = {"urgent": ft.Colors.RED, "high": ft.Colors.ORANGE, "normal": None, "low": ft.Colors.BLUE_GREY}
STATUS_COLORS = {"open": ft.Colors.GREEN_100, "pending": ft.Colors.AMBER_100, "snoozed": ft.Colors.BLUE_100,
                 "resolved": ft.Colors.GREY_300}
DRAFT_SAVE_DELAY = 0.7


def local_tz() -> Any:
    try:
        return datetime.now().astimezone().tzinfo
    except Exception:
        return ZoneInfo("UTC")


class Workspace:
    def __init__(self, app: "AgentApp") -> None:
        self.app = app
        self.page = app.page
        self.services = app.services
        self.agent = app.agent
        assert self.agent is not None
        self.actor = Actor("agent", self.agent.id, self.agent.name)
        self.tz = local_tz()
        self.query = InboxQuery(view="all", status="open")
        self.rows: list[InboxRow] = []
        self.cursor: str | None = None
        self.selected_id: int | None = None
        self.detail: ConversationDetail | None = None
        self.searching: str | None = None
        self.seen_message_id: int | None = None
        self.last_local_edit = 0.0
        self._draft_task: asyncio.Task | None = None
        self._pending_events: list[events.Event] = []
        self._flush_scheduled = False
        self._ticker: asyncio.Task | None = None
        self.agents: list = []
        self.narrow = False
        self.show_settings = False

    # ---- layout ------------------------------------------------------------------------

    async def mount(self) -> None:
        page = self.page
        self.agents = await self.app.read(self.services.agents.list, False)
        self.search_field = ft.TextField(
            hint_text="Search all conversations (Ctrl+K)", prefix_icon=ft.Icons.SEARCH, dense=True,
            border_radius=24, filled=True, on_submit=self._on_search, expand=True, label="Search",
            on_change=sync_value)
        self.counts_text = {v: ft.Text("") for v in VIEW_LABELS}
        self.rail = ft.NavigationRail(
            selected_index=2, label_type=ft.NavigationRailLabelType.ALL, min_width=88,
            destinations=[ft.NavigationRailDestination(icon=VIEW_ICONS[v][0], selected_icon=VIEW_ICONS[v][1],
                                                       label=label) for v, label in VIEW_LABELS.items()],
            on_change=self._on_view_change)
        self.status_filter = ft.Dropdown(
            value="open", dense=True, width=124, label="Status",
            options=[ft.DropdownOption(key=k, text=v) for k, v in STATUS_LABELS.items()],
            on_select=self._on_filter_change)
        self.priority_filter = ft.Dropdown(
            value="", dense=True, width=110, label="Priority",
            options=[ft.DropdownOption(key="", text="Any")] + [ft.DropdownOption(key=p, text=p.title()) for p in PRIORITIES],
            on_select=self._on_filter_change)
        self.tag_filter = ft.Dropdown(value="", dense=True, width=110, label="Tag", options=[],
                                      on_select=self._on_filter_change)
        self.view_title = ft.Text("All", theme_style=ft.TextThemeStyle.TITLE_MEDIUM, weight=ft.FontWeight.BOLD)
        self.filters_row = ft.Row([self.status_filter, self.priority_filter, self.tag_filter], wrap=True, spacing=8)
        self.nav_bar = ft.NavigationBar(
            selected_index=2, on_change=self._on_nav_bar_change, label_behavior=ft.NavigationBarLabelBehavior.ALWAYS_SHOW,
            destinations=[ft.NavigationBarDestination(icon=VIEW_ICONS[v][0], label=label)
                          for v, label in VIEW_LABELS.items()])
        self.list_view = ft.ListView(expand=True, spacing=0)
        self.list_pane = ft.Container(width=400, content=ft.Column([
            ft.Container(padding=ft.Padding.only(left=16, right=8, top=12, bottom=4), content=ft.Column([
                self.view_title,
                self.filters_row,
            ], spacing=8)),
            ft.Divider(height=1),
            self.list_view,
        ], spacing=0, expand=True))
        self.conversation_pane = ft.Container(expand=True, content=self._empty_conversation())
        self.customer_pane = ft.Container(width=280, padding=16, visible=False,
                                          bgcolor=ft.Colors.SURFACE_CONTAINER_LOW)
        self.body = ft.Row([self.rail, ft.VerticalDivider(width=1), self.list_pane, ft.VerticalDivider(width=1),
                            self.conversation_pane, self.customer_pane], expand=True, spacing=0,
                           vertical_alignment=ft.CrossAxisAlignment.STRETCH)
        account_items = [ft.PopupMenuItem(content=f"{self.agent.name} ({self.agent.role})", disabled=True),
                         ft.PopupMenuItem(content="Reports", icon=ft.Icons.INSIGHTS, on_click=self._open_reports)]
        if self.agent.role == "admin":
            account_items.append(ft.PopupMenuItem(content="Settings", icon=ft.Icons.SETTINGS,
                                                  on_click=self._open_settings))
        account_items.append(ft.PopupMenuItem(content="Sign out", icon=ft.Icons.LOGOUT, on_click=self._sign_out))
        account_items.append(ft.PopupMenuItem(content=version_label(), disabled=True))
        self.brand = ft.Text("Helpdesk")
        self.back_button = ft.IconButton(ft.Icons.ARROW_BACK, tooltip="Back to the inbox", visible=False,
                                         on_click=self._back_to_list)
        page.appbar = ft.AppBar(
            leading=self.back_button, leading_width=48 if self.narrow else None,
            title=ft.Row([ft.Icon(ft.Icons.FORUM_OUTLINED, color=ft.Colors.PRIMARY), self.brand,
                          ft.Container(self.search_field, expand=True, padding=ft.Padding.only(left=16, right=4))],
                         spacing=8),
            center_title=False, bgcolor=ft.Colors.SURFACE_CONTAINER, toolbar_height=64,
            actions=[ft.PopupMenuButton(
                content=ft.Row([ft.Icon(ft.Icons.ACCOUNT_CIRCLE), ft.Text(self.agent.name.split()[0])], tight=True),
                tooltip="Account", items=account_items),
                     ft.Container(width=8)])
        page.controls.clear()
        page.add(self.body)
        page.on_keyboard_event = self._on_key
        page.on_resize = self._on_resize
        self._apply_width(page.width or 1280)
        page.update()
        await self.refresh_tags()
        await self.refresh_list()
        self.page.update()
        last = await self.app.read(self.services.drafts.location, self.agent.id)
        if last:
            await self.open_conversation(last)
        self._ticker = asyncio.create_task(self._tick())

    def _empty_conversation(self) -> ft.Control:
        return ft.Container(alignment=ft.Alignment.CENTER, content=ft.Column([
            ft.Icon(ft.Icons.MARK_CHAT_UNREAD_OUTLINED, size=48, color=ft.Colors.OUTLINE),
            ft.Text("Pick a conversation", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Text("Customer messages appear on the left as they arrive. Alt+Down and Alt+Up move between them.",
                    color=ft.Colors.ON_SURFACE_VARIANT, text_align=ft.TextAlign.CENTER),
        ], horizontal_alignment=ft.CrossAxisAlignment.CENTER, tight=True, spacing=8), padding=32)

    def _apply_width(self, width: float) -> None:
        self.narrow = width < NARROW
        self.rail.visible = not self.narrow
        if hasattr(self, "brand"):
            self.brand.visible = not self.narrow
        # On a phone the views move from the side rail to a bar at the bottom.
        self.page.navigation_bar = self.nav_bar if self.narrow and self.selected_id is None else None
        self.customer_pane.visible = not self.narrow and self.detail is not None
        if self.narrow:
            showing_conversation = self.selected_id is not None
            self.list_pane.visible = not showing_conversation
            self.list_pane.width = None
            self.list_pane.expand = True
            self.conversation_pane.visible = showing_conversation
            self.back_button.visible = showing_conversation
        else:
            self.list_pane.visible = True
            self.list_pane.width = 400
            self.list_pane.expand = False
            self.conversation_pane.visible = True
            self.back_button.visible = False

    async def _on_resize(self, e: Any) -> None:
        was = self.narrow
        self._apply_width(self.page.width or 1280)
        if was != self.narrow:
            self.page.update()

    async def _back_to_list(self, _e: Any = None) -> None:
        await self.close_conversation()

    # ---- events -------------------------------------------------------------------------

    def on_event(self, event: events.Event) -> None:
        """On this page's loop: remember the event and refresh soon (coalesced)."""
        self._pending_events.append(event)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            # A plain task on this loop (not page.run_task): it is scheduled even while the
            # page is closing, and the refresh then finds no page and ends quietly.
            self._flush_task = asyncio.get_running_loop().create_task(self._flush_events())

    async def _flush_events(self) -> None:
        await asyncio.sleep(0.15)  # a burst of events becomes one refresh
        pending, self._pending_events = self._pending_events, []
        self._flush_scheduled = False
        list_dirty = thread_dirty = presence_dirty = False
        breached: list[events.Event] = []
        for ev in pending:
            if ev.type in (events.MESSAGE_CREATED, events.CONVERSATION_CREATED, events.CONVERSATION_UPDATED):
                list_dirty = True
                if ev.conversation_id == self.selected_id:
                    thread_dirty = True
            elif ev.type == events.DRAFT_SAVED and ev.data.get("agent_id") == self.agent.id \
                    and ev.conversation_id == self.selected_id:
                self._apply_remote_draft(ev.data.get("body", ""))
            elif ev.type == PRESENCE_CHANGED and ev.conversation_id == self.selected_id:
                presence_dirty = True
            elif ev.type == SLA_BREACHED:
                list_dirty = True
                thread_dirty = thread_dirty or ev.conversation_id == self.selected_id
                breached.append(ev)
        try:
            if list_dirty and self.searching is None:
                await self.refresh_list(keep=True)
            if thread_dirty and self.selected_id is not None:
                await self.open_conversation(self.selected_id, refresh_only=True)
            elif presence_dirty:
                self._render_presence()
            if breached:
                first = breached[0]
                label = fmt.DUE_LABELS.get(first.data.get("target", ""), "Reply")
                more = f" and {len(breached) - 1} more" if len(breached) > 1 else ""
                self.app.toast(f"Overdue: {label.lower()} for conversation #{first.conversation_id}{more}", error=True)
            self.page.update()
        except Exception:  # the page went away mid-refresh
            pass

    async def _tick(self) -> None:
        """Keeps 'waiting 5 min' and 'is typing' honest without any event."""
        count = 0
        while self.app.agent is not None:
            await asyncio.sleep(3)
            count += 1
            try:
                if self.selected_id is not None:
                    self._render_presence()
                if count % 10 == 0 and self.searching is None:
                    self._render_rows()
                self.page.update()
            except Exception:
                return

    # ---- the list ------------------------------------------------------------------------

    async def refresh_tags(self) -> None:
        tags = await self.app.read(self.services.conversations.all_tags)
        self.tag_filter.options = [ft.DropdownOption(key="", text="Any")] + \
            [ft.DropdownOption(key=t, text=t) for t in tags]

    async def refresh_list(self, keep: bool = False) -> None:
        limit = max(50, len(self.rows)) if keep else 50
        page = await self.app.read(self.services.inbox.page, self.query, self.agent.id, None, limit)
        counts = await self.app.read(self.services.inbox.counts, self.query, self.agent.id)
        self.rows, self.cursor = page.rows, page.cursor
        for view, label in VIEW_LABELS.items():
            self.rail.destinations[list(VIEW_LABELS).index(view)].label = f"{label} {counts[view]}"
            self.nav_bar.destinations[list(VIEW_LABELS).index(view)].label = f"{label} {counts[view]}"
        status = "open" if self.query.view in ("overdue", "at_risk") else STATUS_LABELS[self.query.status].lower()
        self.view_title.value = f"{VIEW_LABELS[self.query.view]} · {status} ({counts[self.query.view]})"
        self.filters_row.visible = self.searching is None
        self.status_filter.disabled = self.query.view in ("overdue", "at_risk")
        # The window title (and the browser tab) carries what needs attention.
        attention = [f"{counts['overdue']} overdue"] if counts["overdue"] else []
        attention += [f"{counts['unassigned']} unassigned"] if counts["unassigned"] else []
        self.page.title = f"Helpdesk ({', '.join(attention)})" if attention else "Helpdesk"
        self._render_rows()

    async def load_more(self, _e: Any = None) -> None:
        if not self.cursor:
            return
        page = await self.app.read(self.services.inbox.page, self.query, self.agent.id, self.cursor)
        self.rows += page.rows
        self.cursor = page.cursor
        self._render_rows()
        self.page.update()

    def _render_rows(self) -> None:
        now = self.services.clock.now()
        controls: list[ft.Control] = []
        for row in self.rows:
            controls.append(self._row_control(row, now))
        if self.cursor:
            controls.append(ft.Container(ft.TextButton("Load more", on_click=self.load_more), padding=8,
                                         alignment=ft.Alignment.CENTER))
        if not self.rows:
            hint = {"mine": "Nothing assigned to you. Take one from Unassigned, or reply to one to take it.",
                    "unassigned": "Every conversation has someone on it.",
                    "all": "No conversations here yet. Customer messages arrive through the intake API "
                           "(see Settings → API tokens).",
                    "overdue": "Nothing is overdue: every customer has had an answer in time.",
                    "at_risk": "Nothing is close to its response-time target."}[self.query.view]
            if (self.query.status != "open" and self.query.view not in ("overdue", "at_risk")) \
                    or self.query.tag or self.query.priority:
                hint = "Nothing matches these filters."
            controls.append(ft.Container(padding=24, content=ft.Column([
                ft.Icon(ft.Icons.INBOX_OUTLINED, size=40, color=ft.Colors.OUTLINE),
                ft.Text("All clear" if self.query.status == "open" else "Nothing here",
                        theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
                ft.Text(hint, color=ft.Colors.ON_SURFACE_VARIANT, text_align=ft.TextAlign.CENTER),
            ], horizontal_alignment=ft.CrossAxisAlignment.CENTER, spacing=6)))
        self.list_view.controls = controls

    def _row_control(self, row: InboxRow, now: datetime) -> ft.Control:
        selected = row.id == self.selected_id
        waited = fmt.waiting(row.waiting_since, now) if row.status == "open" and row.waiting_since \
            else fmt.ago(row.last_message_at, now)
        # Top right: the response-time state when a clock runs, else how long it has been.
        if row.due is not None:
            colour = ft.Colors.ERROR if row.due.overdue else ft.Colors.ORANGE_800 if row.due.at_risk else \
                ft.Colors.ON_SURFACE_VARIANT
            corner = ft.Row([ft.Icon(ft.Icons.ALARM if row.due.overdue else ft.Icons.SCHEDULE, size=14, color=colour),
                             ft.Text(fmt.due(row.due.target, row.due.due_at, now), size=12, color=colour,
                                     weight=ft.FontWeight.BOLD if row.due.overdue else None)], spacing=2, tight=True)
        else:
            corner = ft.Text(waited, size=12, color=ft.Colors.ON_SURFACE_VARIANT)
            waited = ""
        badges: list[ft.Control] = []
        if waited:
            badges.append(ft.Text(waited, size=11, color=ft.Colors.ON_SURFACE_VARIANT))
        if row.priority != "normal":
            badges.append(ft.Container(ft.Text(row.priority, size=11, color=ft.Colors.WHITE),
                                       bgcolor=PRIORITY_COLORS[row.priority], border_radius=8,
                                       padding=ft.Padding.symmetric(horizontal=6, vertical=1)))
        for tag in row.tags[:2]:
            badges.append(ft.Container(ft.Text(tag, size=11), bgcolor=ft.Colors.SECONDARY_CONTAINER,
                                       border_radius=8, padding=ft.Padding.symmetric(horizontal=6, vertical=1)))
        weight = ft.FontWeight.BOLD if row.unread else ft.FontWeight.W_500
        return ft.Container(
            key=f"row-{row.id}",
            bgcolor=ft.Colors.SECONDARY_CONTAINER if selected else None,
            padding=ft.Padding.symmetric(horizontal=16, vertical=10),
            border=ft.Border.only(bottom=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
            on_click=lambda e, cid=row.id: self.page.run_task(self.open_conversation, cid),
            content=ft.Column([
                ft.Row([
                    ft.Container(width=8, height=8, border_radius=4,
                                 bgcolor=ft.Colors.PRIMARY if row.unread else ft.Colors.TRANSPARENT),
                    ft.Text(row.customer_name, weight=weight, expand=True, max_lines=1,
                            overflow=ft.TextOverflow.ELLIPSIS),
                    corner,
                ], spacing=6),
                ft.Text(row.title, weight=weight, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS, size=13),
                ft.Text(row.preview, size=12, color=ft.Colors.ON_SURFACE_VARIANT, max_lines=1,
                        overflow=ft.TextOverflow.ELLIPSIS),
                ft.Row([*badges, ft.Container(expand=True),
                        ft.Text(row.assignee_name or "Unassigned", size=11, color=ft.Colors.ON_SURFACE_VARIANT,
                                italic=row.assignee_name is None, max_lines=1)], spacing=6),
            ], spacing=2))

    async def _on_nav_bar_change(self, e: Any) -> None:
        self.rail.selected_index = self.nav_bar.selected_index
        await self._on_view_change(e)

    async def _on_view_change(self, e: Any) -> None:
        self.query.view = list(VIEW_LABELS)[self.rail.selected_index or 0]
        self.nav_bar.selected_index = self.rail.selected_index
        await self.refresh_list()
        self.page.update()

    async def _on_filter_change(self, e: Any) -> None:
        self.query.status = self.status_filter.value or "open"
        self.query.priority = self.priority_filter.value or None
        self.query.tag = self.tag_filter.value or None
        await self.refresh_list()
        self.page.update()

    # ---- search ----------------------------------------------------------------------------

    async def _on_search(self, e: Any) -> None:
        text = (self.search_field.value or "").strip()
        if not text:
            await self.clear_search()
            return
        self.searching = text
        hits = await self.app.read(self.services.search.search, text, 30)
        now = self.services.clock.now()
        controls: list[ft.Control] = [ft.Container(padding=ft.Padding.only(left=16, right=8, top=8), content=ft.Row([
            ft.Text(f"{len(hits)} result{'s' if len(hits) != 1 else ''} for “{text}”",
                    theme_style=ft.TextThemeStyle.TITLE_SMALL, expand=True),
            ft.TextButton("Close search", icon=ft.Icons.CLOSE, on_click=lambda e: self.page.run_task(self.clear_search)),
        ]))]
        if not hits:
            controls.append(ft.Container(padding=24, content=ft.Text(
                "Nothing found. Search looks in messages, notes, subjects, names, emails and phone numbers.",
                color=ft.Colors.ON_SURFACE_VARIANT)))
        for hit in hits:
            spans = [ft.TextSpan(text, ft.TextStyle(weight=ft.FontWeight.BOLD, bgcolor=ft.Colors.YELLOW_200)
                                 if is_hit else None) for text, is_hit in hit.segments]
            label = {"message": "Message", "note": "Internal note", "subject": "Subject", "customer": "Customer"}[hit.kind]
            controls.append(ft.Container(
                padding=ft.Padding.symmetric(horizontal=16, vertical=10),
                border=ft.Border.only(bottom=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
                on_click=(lambda e, h=hit: self.page.run_task(self.open_conversation, h.conversation_id, h.message_id))
                if hit.conversation_id else None,
                content=ft.Column([
                    ft.Row([ft.Text(hit.customer_name, weight=ft.FontWeight.BOLD, expand=True),
                            ft.Text(fmt.ago(hit.at, now), size=12, color=ft.Colors.ON_SURFACE_VARIANT)]),
                    ft.Text(f"{label} · {hit.subject}", size=12, color=ft.Colors.ON_SURFACE_VARIANT, max_lines=1,
                            overflow=ft.TextOverflow.ELLIPSIS),
                    ft.Text(spans=spans, size=13, max_lines=3),
                ], spacing=2)))
        self.list_view.controls = controls
        self.view_title.value = "Search"
        self.filters_row.visible = False
        if self.narrow and self.selected_id is not None:
            await self.close_conversation(update=False)
        self.page.update()

    async def clear_search(self) -> None:
        self.searching = None
        self.filters_row.visible = True
        self.search_field.value = ""
        await self.refresh_list()
        self.page.update()

    # ---- a conversation ---------------------------------------------------------------------

    async def close_conversation(self, update: bool = True) -> None:
        await self._save_draft_now()
        self.selected_id = None
        self.detail = None
        self.services.presence.left(self.app.presence_key)
        self.conversation_pane.content = self._empty_conversation()
        self._apply_width(self.page.width or 1280)
        self._render_rows()
        if update:
            self.page.update()

    async def open_conversation(self, conversation_id: int, focus_message_id: int | None = None,
                                refresh_only: bool = False) -> None:
        switching = conversation_id != self.selected_id
        if switching and self.selected_id is not None:
            await self._save_draft_now()
        try:
            detail = await self.app.read(self.services.conversations.get, conversation_id)
        except NotFound:
            if not refresh_only:
                self.app.toast("That conversation no longer exists.", error=True)
            return
        self.detail = detail
        self.selected_id = conversation_id
        history = await self.app.read(self.services.customers.history, detail.conversation.customer_id, 50)
        if switching or not refresh_only:
            draft = await self.app.read(self.services.drafts.get, self.agent.id, conversation_id)
            self.seen_message_id = draft.seen_message_id if draft else None
            self._build_conversation(detail, draft.body if draft else "")
            self.services.presence.viewing(self.app.presence_key, self.agent.id, self.agent.name, conversation_id)
            await self.app.write(self.services.drafts.set_location, self.agent.id, conversation_id)
        else:
            self._update_header(detail)
        self._render_thread(detail)
        self._render_customer(detail, history)
        self._render_presence()
        await self.app.write(self.services.conversations.mark_read, conversation_id, self.agent.id)
        for row in self.rows:
            if row.id == conversation_id:
                row.unread = False
        self._apply_width(self.page.width or 1280)
        self._render_rows()
        self.page.update()
        try:
            if focus_message_id:
                await self.thread.scroll_to(scroll_key=f"m{focus_message_id}", duration=300)
            elif switching or not refresh_only:
                await self.thread.scroll_to(offset=-1)
            else:
                await self.thread.scroll_to(offset=-1, duration=200)
        except Exception:
            pass

    def _build_conversation(self, detail: ConversationDetail, draft: str) -> None:
        self.title_text = ft.Text("", theme_style=ft.TextThemeStyle.TITLE_LARGE, max_lines=1,
                                  overflow=ft.TextOverflow.ELLIPSIS)
        self.subtitle_text = ft.Text("", color=ft.Colors.ON_SURFACE_VARIANT, max_lines=1)
        self.status_chip = ft.Container(border_radius=10, padding=ft.Padding.symmetric(horizontal=10, vertical=2))
        self.presence_text = ft.Text("", italic=True, size=12, color=ft.Colors.TERTIARY)
        self.due_text = ft.Text("", size=13, weight=ft.FontWeight.W_500)
        self.assignee_label = ft.Text("")
        self.assignee_menu = ft.PopupMenuButton(
            tooltip="Assign or transfer",
            content=ft.Container(ft.Row([ft.Icon(ft.Icons.PERSON_OUTLINE, size=18), self.assignee_label,
                                         ft.Icon(ft.Icons.ARROW_DROP_DOWN)], tight=True, spacing=6),
                                 border=ft.Border.all(1, ft.Colors.OUTLINE), border_radius=8,
                                 padding=ft.Padding.symmetric(horizontal=12, vertical=10)),
            items=[ft.PopupMenuItem(content="Assign to me", icon=ft.Icons.PERSON_ADD_ALT,
                                    on_click=lambda e: self.page.run_task(self._assign, self.agent.id))] +
                  [ft.PopupMenuItem(content=f"Assign to {a.name}", on_click=lambda e, a=a: self.page.run_task(
                      self._assign, a.id)) for a in self.agents if a.id != self.agent.id] +
                  [ft.PopupMenuItem(content="Unassign", icon=ft.Icons.PERSON_OFF_OUTLINED,
                                    on_click=lambda e: self.page.run_task(self._assign, None))])
        self.priority_dropdown = ft.Dropdown(
            dense=True, width=130, label="Priority", on_select=self._on_priority,
            options=[ft.DropdownOption(key=p, text=p.title()) for p in PRIORITIES])
        self.tag_input = ft.TextField(dense=True, width=130, on_submit=self._on_add_tag, label="Add tag",
                                      on_change=sync_value,
                                      prefix_icon=ft.Icons.LABEL_OUTLINE)
        self.tags_row = ft.Row(wrap=True, spacing=6, vertical_alignment=ft.CrossAxisAlignment.CENTER)
        self.status_actions = ft.Row(spacing=4)
        self.header = ft.Container(padding=ft.Padding.only(left=20, right=12, top=12, bottom=8), content=ft.Column([
            ft.Row([ft.Column([self.title_text, self.subtitle_text, self.due_text], spacing=0, expand=True),
                    self.status_chip], vertical_alignment=ft.CrossAxisAlignment.START),
            ft.Row([self.assignee_menu, self.priority_dropdown, self.status_actions], wrap=True, spacing=8),
            self.tags_row,
            self.presence_text,
        ], spacing=8))
        self.thread = ft.Column(scroll=ft.ScrollMode.AUTO, expand=True, spacing=10)
        self.reply_field = ft.TextField(
            value=draft, multiline=True, min_lines=3, max_lines=10, label="Reply",
            hint_text="Write a reply… (Ctrl+Enter sends and sets pending)", on_change=self._on_reply_change,
            border_radius=12)
        canned = ft.PopupMenuButton(
            content=ft.Row([ft.Icon(ft.Icons.QUICKREPLY_OUTLINED, color=ft.Colors.PRIMARY),
                            ft.Text("Canned reply", color=ft.Colors.PRIMARY)], tight=True, spacing=6),
            tooltip="Insert a canned reply", items=[])
        self.canned_menu = canned
        self.page.run_task(self._load_canned)
        self.reply_box = ft.Container(padding=ft.Padding.only(left=16, right=16, bottom=12, top=8), content=ft.Column([
            self.reply_field,
            ft.Row([canned, ft.Row([
                ft.TextButton("Add internal note", icon=ft.Icons.STICKY_NOTE_2_OUTLINED,
                              on_click=lambda e: self.page.run_task(self.send, "note")),
                ft.OutlinedButton("Send and keep open", on_click=lambda e: self.page.run_task(self.send, "open")),
                ft.OutlinedButton("Send and resolve", icon=ft.Icons.CHECK,
                                  on_click=lambda e: self.page.run_task(self.send, "resolved")),
                ft.FilledButton("Send and set pending", icon=ft.Icons.SEND,
                                on_click=lambda e: self.page.run_task(self.send, "pending")),
            ], wrap=True, spacing=8, run_spacing=8, alignment=ft.MainAxisAlignment.END, expand=True)],
                vertical_alignment=ft.CrossAxisAlignment.START),
        ], spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH))
        self.conversation_pane.content = ft.Column([
            self.header, ft.Divider(height=1),
            ft.Container(self.thread, expand=True, padding=ft.Padding.symmetric(horizontal=20, vertical=8),
                         bgcolor=ft.Colors.SURFACE_CONTAINER_LOWEST),
            ft.Divider(height=1), self.reply_box,
        ], spacing=0, expand=True)
        self._update_header(detail)

    async def _load_canned(self) -> None:
        replies = await self.app.read(self.services.canned.list)
        self.canned_menu.items = [ft.PopupMenuItem(content=r.title, on_click=lambda e, r=r: self.page.run_task(
            self._insert_canned, r.body)) for r in replies] or \
            [ft.PopupMenuItem(content="No canned replies yet (Settings → Canned replies)", disabled=True)]
        self.page.update()

    async def _insert_canned(self, body: str) -> None:
        if self.selected_id is None:
            return
        text = await self.app.read(self.services.canned.render, body, self.selected_id, self.agent.id,
                                   self.public_base_url())
        current = self.reply_field.value or ""
        self.reply_field.value = (current.rstrip() + "\n\n" + text) if current.strip() else text
        await self._on_reply_change(None)
        self.page.update()

    def public_base_url(self) -> str:
        from helpdesk.netinfo import lan_urls
        if self.app.settings.public_url:
            return self.app.settings.public_url
        urls = lan_urls(self.app.settings.port)
        return urls[0].rstrip("/") if urls else f"http://127.0.0.1:{self.app.settings.port}"

    def _update_header(self, detail: ConversationDetail) -> None:
        c = detail.conversation
        self.title_text.value = detail.customer_name
        self.subtitle_text.value = f"#{c.id} · {c.subject or 'No subject'} · via {c.channel}"
        self.status_chip.content = ft.Text(STATUS_LABELS[c.status] + (
            f" until {fmt.stamp(c.snoozed_until, self.services.clock.now(), self.tz)}" if c.snoozed_until else ""),
            size=12, color=ft.Colors.BLACK)
        self.status_chip.bgcolor = STATUS_COLORS[c.status]
        now = self.services.clock.now()
        next_due = SlaRules.next_due(Clocks.of(c), now) if c.status == "open" else None
        self.due_text.visible = next_due is not None
        if next_due is not None:
            self.due_text.value = fmt.due(next_due.target, next_due.due_at, now) + \
                f" ({fmt.stamp(next_due.due_at, now, self.tz)})"
            self.due_text.color = ft.Colors.ERROR if next_due.overdue else ft.Colors.ORANGE_800 \
                if next_due.at_risk else ft.Colors.ON_SURFACE_VARIANT
        self.assignee_label.value = f"Assigned to {detail.assignee.name}" if detail.assignee else "Unassigned"
        self.priority_dropdown.value = c.priority
        self.tags_row.controls = [ft.Chip(label=ft.Text(t), on_delete=lambda e, t=t: self.page.run_task(
            self._remove_tag, t)) for t in detail.tags] + [self.tag_input]
        actions: list[ft.Control] = []
        if c.status == "resolved":
            actions.append(ft.OutlinedButton("Reopen", icon=ft.Icons.REPLAY,
                                             on_click=lambda e: self.page.run_task(self._set_status, "open")))
        else:
            actions.append(ft.OutlinedButton("Resolve", icon=ft.Icons.CHECK_CIRCLE_OUTLINE,
                                             on_click=lambda e: self.page.run_task(self._set_status, "resolved")))
            now = self.services.clock.now().astimezone(self.tz)
            tomorrow = (now + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
            monday = (now + timedelta(days=(7 - now.weekday()) or 7)).replace(hour=9, minute=0, second=0,
                                                                              microsecond=0)
            actions.append(ft.PopupMenuButton(content=ft.Row([ft.Icon(ft.Icons.SNOOZE), ft.Text("Snooze")],
                                                             tight=True), tooltip="Snooze", items=[
                ft.PopupMenuItem(content="For 1 hour", on_click=lambda e: self.page.run_task(
                    self._snooze, self.services.clock.now() + timedelta(hours=1))),
                ft.PopupMenuItem(content="Until tomorrow 9:00", on_click=lambda e, t=tomorrow: self.page.run_task(
                    self._snooze, t)),
                ft.PopupMenuItem(content="Until Monday 9:00", on_click=lambda e, t=monday: self.page.run_task(
                    self._snooze, t)),
                ft.PopupMenuItem(content="Pick a date and time…", on_click=self._pick_snooze),
            ]))
            if c.status != "pending":
                actions.append(ft.TextButton("Set pending", on_click=lambda e: self.page.run_task(
                    self._set_status, "pending")))
        actions.append(ft.IconButton(ft.Icons.LINK, tooltip="Copy the customer's link",
                                     on_click=lambda e: self.page.run_task(self._copy_link)))
        self.status_actions.controls = actions

    def _render_thread(self, detail: ConversationDetail) -> None:
        now = self.services.clock.now()
        bubbles: list[ft.Control] = []
        for m in detail.messages:
            when = fmt.stamp(m.created_at, now, self.tz)
            if m.kind == EVENT:
                bubbles.append(ft.Container(key=f"m{m.id}", alignment=ft.Alignment.CENTER, content=ft.Text(
                    f"{m.body} · {when}", size=12, italic=True, color=ft.Colors.ON_SURFACE_VARIANT,
                    text_align=ft.TextAlign.CENTER)))
                continue
            agent = detail.agents.get(m.author_agent_id) if m.author_agent_id else None
            if m.direction == IN:
                who, bg = detail.customer_name, ft.Colors.SURFACE_CONTAINER_HIGH
            elif m.kind == NOTE:
                who, bg = f"{agent.name if agent else 'Agent'} · internal note", ft.Colors.AMBER_100
            else:
                who, bg = agent.name if agent else "Support", ft.Colors.PRIMARY_CONTAINER
            bubble = ft.Container(
                key=f"m{m.id}", bgcolor=bg, border_radius=14, padding=ft.Padding.symmetric(horizontal=14, vertical=10),
                border=ft.Border.all(1, ft.Colors.AMBER_400) if m.kind == NOTE else None, expand=5,
                content=ft.Column([
                    ft.Row([ft.Icon(ft.Icons.LOCK_OUTLINE, size=14) if m.kind == NOTE else ft.Container(),
                            ft.Text(f"{who} · {when}", size=12, color=ft.Colors.ON_SURFACE_VARIANT)], spacing=4),
                    ft.Text(m.body, selectable=True, color=ft.Colors.BLACK if m.kind == NOTE else None),
                ], spacing=4, tight=True))
            gap = ft.Container(expand=1)
            bubbles.append(ft.Row([bubble, gap] if m.direction == IN else [gap, bubble],
                                   vertical_alignment=ft.CrossAxisAlignment.START))
        self.thread.controls = bubbles

    def _render_customer(self, detail: ConversationDetail, history: Any) -> None:
        profile = detail.customer
        labels = {"email": ft.Icons.EMAIL_OUTLINED, "phone": ft.Icons.PHONE_OUTLINED, "external_id": ft.Icons.BADGE_OUTLINED}
        rows: list[ft.Control] = [
            ft.Text(detail.customer_name, theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Text(f"Customer since {history.profile.customer.created_at.astimezone(self.tz):%-d %b %Y}", size=12,
                    color=ft.Colors.ON_SURFACE_VARIANT),
        ]
        for kind, values in profile.identifiers.items():
            for value in values:
                rows.append(ft.Row([ft.Icon(labels.get(kind, ft.Icons.TAG), size=16),
                                    ft.Text(value, selectable=True, size=13, expand=True)], spacing=6))
        rows += [ft.Divider(), ft.Text(f"Conversations ({len(history.conversations)})",
                                       theme_style=ft.TextThemeStyle.TITLE_SMALL)]
        now = self.services.clock.now()
        for c in history.conversations:
            current = c.id == detail.conversation.id
            rows.append(ft.Container(
                padding=8, border_radius=8, bgcolor=ft.Colors.SECONDARY_CONTAINER if current else None,
                on_click=None if current else (lambda e, cid=c.id: self.page.run_task(self.open_conversation, cid)),
                content=ft.Column([
                    ft.Text(c.subject or c.last_message_preview[:60] or f"#{c.id}", size=13, max_lines=1,
                            overflow=ft.TextOverflow.ELLIPSIS, weight=ft.FontWeight.W_500),
                    ft.Text(f"{STATUS_LABELS[c.status]} · {fmt.ago(c.last_message_at, now)}", size=12,
                            color=ft.Colors.ON_SURFACE_VARIANT),
                ], spacing=0)))
        self.customer_pane.content = ft.Column(rows, spacing=6, scroll=ft.ScrollMode.AUTO)

    def _render_presence(self) -> None:
        if self.selected_id is None or not hasattr(self, "presence_text"):
            return
        others = self.services.presence.others(self.selected_id, self.agent.id)
        parts = [f"{name} is typing…" if typing else f"{name} is viewing" for name, typing in others]
        self.presence_text.value = " · ".join(parts)
        self.presence_text.visible = bool(parts)

    # ---- drafts -----------------------------------------------------------------------------

    async def _on_reply_change(self, e: Any) -> None:
        self.last_local_edit = time.monotonic()
        if self.seen_message_id is None and self.detail and self.detail.messages:
            self.seen_message_id = self.detail.messages[-1].id
        self.services.presence.typing(self.app.presence_key)
        if self._draft_task is None or self._draft_task.done():
            self._draft_task = asyncio.create_task(self._save_draft_later())

    async def _save_draft_later(self) -> None:
        """Save once typing pauses; keystrokes that arrive during a save are saved after it."""
        while True:
            await asyncio.sleep(DRAFT_SAVE_DELAY)
            if time.monotonic() - self.last_local_edit < DRAFT_SAVE_DELAY:
                continue  # still typing
            saved = self.reply_field.value or "" if hasattr(self, "reply_field") else ""
            await self._save_draft_now()
            if not hasattr(self, "reply_field") or (self.reply_field.value or "") == saved:
                return

    async def _save_draft_now(self) -> None:
        if self.selected_id is None or not hasattr(self, "reply_field"):
            return
        try:
            await self.app.write(self.services.drafts.save, self.agent.id, self.selected_id,
                                 self.reply_field.value or "", self.seen_message_id)
        except Exception:
            pass

    def _apply_remote_draft(self, body: str) -> None:
        """The same agent typed on another device: show it here unless typing here now."""
        if not hasattr(self, "reply_field") or time.monotonic() - self.last_local_edit < 2:
            return
        if (self.reply_field.value or "") != body:
            self.reply_field.value = body

    # ---- actions ----------------------------------------------------------------------------

    async def send(self, then: str) -> None:
        if self.selected_id is None:
            return
        body = (self.reply_field.value or "").strip()
        if not body:
            self.app.toast("Write something first.", error=True)
            return
        if self._draft_task and not self._draft_task.done():
            self._draft_task.cancel()
        conversations = self.services.conversations
        if then == "note":
            result = await self.app.attempt(conversations.add_note, self.selected_id, self.actor, body)
        else:
            try:
                result = await self.app.write(conversations.reply, self.selected_id, self.actor, body, then,
                                              self.seen_message_id, False)
            except NewCustomerMessages as exc:
                if not await self._confirm(
                        "New message from the customer",
                        f"The customer sent {exc.count} new message{'s' if exc.count > 1 else ''} after you "
                        "started this reply. Read it before sending?", "Send anyway", "Go back and read"):
                    await self.open_conversation(self.selected_id, refresh_only=True)
                    self.seen_message_id = self.detail.messages[-1].id if self.detail and self.detail.messages else None
                    return
                result = await self.app.attempt(conversations.reply, self.selected_id, self.actor, body, then,
                                                self.seen_message_id, True)
        if result is None:
            return
        self.reply_field.value = ""
        self.seen_message_id = None
        await self.open_conversation(self.selected_id, refresh_only=True)
        self.app.toast({"note": "Note added", "pending": "Sent; waiting on the customer",
                        "resolved": "Sent and resolved", "open": "Sent; kept open"}[then])

    async def _confirm(self, title: str, text: str, yes: str, no: str) -> bool:
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def close(value: bool) -> None:
            if not answer.done():
                answer.set_result(value)
            self.page.pop_dialog()

        self.page.show_dialog(ft.AlertDialog(modal=True, title=ft.Text(title), content=ft.Text(text), actions=[
            ft.TextButton(no, on_click=lambda e: close(False)),
            ft.FilledButton(yes, on_click=lambda e: close(True))]))
        self.page.update()
        return await answer

    async def _assign(self, agent_id: int | None) -> None:
        await self.app.attempt(self.services.conversations.assign, self.selected_id, agent_id, self.actor)

    async def _on_priority(self, e: Any) -> None:
        await self.app.attempt(self.services.conversations.set_priority, self.selected_id,
                               self.priority_dropdown.value or "normal", self.actor)

    async def _on_add_tag(self, e: Any) -> None:
        name = (self.tag_input.value or "").strip()
        if not name or self.selected_id is None:
            return
        if await self.app.attempt(self.services.conversations.add_tag, self.selected_id, name, self.actor) is not None:
            self.tag_input.value = ""
            await self.refresh_tags()

    async def _remove_tag(self, name: str) -> None:
        await self.app.attempt(self.services.conversations.remove_tag, self.selected_id, name, self.actor)

    async def _set_status(self, status: str) -> None:
        await self.app.attempt(self.services.conversations.set_status, self.selected_id, status, self.actor)

    async def _snooze(self, until: datetime) -> None:
        done = await self.app.attempt(self.services.conversations.set_status, self.selected_id, "snoozed",
                                      self.actor, until)
        if done is not None:
            self.app.toast(f"Snoozed until {fmt.stamp(until, self.services.clock.now(), self.tz)}")

    async def _pick_snooze(self, e: Any) -> None:
        now = self.services.clock.now().astimezone(self.tz)

        async def picked_date(ev: Any) -> None:
            day = date_picker.value
            if day is None:
                return

            async def picked_time(tev: Any) -> None:
                t = time_picker.value
                if t is None:
                    return
                when = datetime(day.year, day.month, day.day, t.hour, t.minute, tzinfo=self.tz)
                await self._snooze(when)

            time_picker = ft.TimePicker(value=now.time().replace(second=0, microsecond=0),
                                        help_text="Wake up at", on_change=picked_time)
            self.page.show_dialog(time_picker)
            self.page.update()

        date_picker = ft.DatePicker(first_date=now.replace(tzinfo=None), last_date=(now + timedelta(days=365)).replace(tzinfo=None),
                                    value=(now + timedelta(days=1)).replace(tzinfo=None), help_text="Snooze until",
                                    on_change=picked_date)
        self.page.show_dialog(date_picker)
        self.page.update()

    async def _copy_link(self) -> None:
        if not self.detail:
            return
        link = conversation_link(self.public_base_url(), self.detail.conversation.public_token)
        try:
            await ft.Clipboard().set(link)
            self.app.toast(f"Copied: {link}")
        except Exception:
            self.app.toast(link)

    # ---- keyboard, settings, sign out ---------------------------------------------------------

    async def _on_key(self, e: ft.KeyboardEvent) -> None:
        if e.ctrl and e.key == "Enter":
            await self.send("pending")
        elif e.ctrl and e.key.upper() == "K":
            await self.search_field.focus()
        elif e.alt and e.key in ("Arrow Down", "Arrow Up"):
            await self._move(1 if e.key == "Arrow Down" else -1)
        elif e.key == "Escape" and self.searching is not None:
            await self.clear_search()

    async def _move(self, step: int) -> None:
        if not self.rows:
            return
        ids = [r.id for r in self.rows]
        index = ids.index(self.selected_id) + step if self.selected_id in ids else 0
        index = max(0, min(len(ids) - 1, index))
        await self.open_conversation(ids[index])

    async def _open_reports(self, e: Any) -> None:
        from helpdesk.ui.reports_view import ReportsView

        await ReportsView(self).show()

    async def _open_settings(self, e: Any) -> None:
        from helpdesk.ui.settings_view import SettingsView

        await SettingsView(self).show()

    async def restore(self) -> None:
        """Back from settings to the workspace."""
        self.agents = await self.app.read(self.services.agents.list, False)
        self.page.controls.clear()
        await self.mount_again()

    async def mount_again(self) -> None:
        if self._ticker:
            self._ticker.cancel()
        selected = self.selected_id
        self.selected_id = None
        self.detail = None
        await self.mount()
        if selected:
            await self.open_conversation(selected)

    async def _sign_out(self, e: Any) -> None:
        await self._save_draft_now()
        if self._ticker:
            self._ticker.cancel()
        await self.app.sign_out()
