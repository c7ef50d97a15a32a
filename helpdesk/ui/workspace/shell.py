"""The agent workspace: the views laid out (rail, inbox list or search results, the open
conversation, the customer panel), the keyboard and the phone layout; live events in live.py.
What is shown comes from the controller; each view changes its controls in place."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import flet as ft

from helpdesk.ui.memory import settled
from helpdesk.models import OPEN, PENDING, PRIORITIES, SPAM
from helpdesk.models.help import PUBLISHED
from helpdesk.services.macros import describe as describe_macro
from helpdesk.ui.workspace.commands import PaletteCommands
from helpdesk.ui.workspace.over_list import OverList
from helpdesk.ui.workspace.palette import Palette
from helpdesk.ui.workspace.phone_bar import PhoneBar
from helpdesk.ui.workspace.views import VIEW_ICONS, VIEW_LABELS
from helpdesk.services.errors import NotFound
from helpdesk.ui import account
from helpdesk.ui.context import UiContext
from helpdesk.ui.settings.macros import macros_dialog
from helpdesk.ui.widgets import icon_button, local_zone, sync_value, updates_itself
from helpdesk.ui.app_paths import UPLOADS
from helpdesk.ui.workspace.actions import ConversationActions
from helpdesk.ui.uploads import PendingFiles
from helpdesk.ui.workspace.attachments import file_chips
from helpdesk.ui.workspace.mail_original import mail_tools
from helpdesk.ui.workspace.assist_panel import AssistPanel
from helpdesk.ui.workspace.composer import Composer
from helpdesk.ui.workspace.controller import WorkspaceController
from helpdesk.ui.workspace.conversation_header import STATUS_LABELS, ConversationHeader, HeaderActions
from helpdesk.ui.workspace import customer_data
from helpdesk.ui.workspace.customer_panel import CustomerPanel
from helpdesk.ui.workspace.link_customer import link_customer
from helpdesk.ui.workspace.inbox_list import REST_AFTER, InboxList
from helpdesk.ui.workspace.inbox_pane import InboxPane
from helpdesk.ui.workspace.live import LiveUpdates
from helpdesk.ui.workspace.searching import Searching
from helpdesk.ui.workspace.payments import card_tools, request_payment
from helpdesk.ui.workspace.thread import ThreadView, nothing_open

NARROW = 820
class Workspace(LiveUpdates, Searching, PaletteCommands, InboxPane):
    def __init__(self, ctx: UiContext) -> None:
        self.ctx = ctx
        self.page = ctx.page
        self.zone = local_zone()
        self.c = WorkspaceController(ctx.services, ctx.actor, ctx, ctx.presence_key)
        self.narrow = False
        self._arrangement: tuple[bool, bool] | None = None
        self._ways_key: tuple | None = None  # what the composer shows of the reply's channels
        self._ticker: asyncio.Task | None = None
        self.init_live()
        self._active = False

    # ---- building -------------------------------------------------------------------------

    async def mount(self, resume_at: int | None = None) -> None:
        page, ctx = self.page, self.ctx
        agents, canned, macros = await ctx.read(lambda: (ctx.services.agents.list(False),
                                                         ctx.services.canned.list(ctx.actor),
                                                         ctx.services.macros.visible_to(ctx.actor)))
        self.macros = macros
        self.palette = Palette(page, lambda: self._commands(agents, self.macros), self._find_for_palette)
        self.search_field = ft.TextField(hint_text="Search all conversations", prefix_icon=ft.Icons.SEARCH,
                                         dense=True, border_radius=24, filled=True, expand=True, label="Search",
                                         on_submit=self._on_search, on_change=sync_value)
        self.rail = ft.NavigationRail(
            selected_index=2, label_type=ft.NavigationRailLabelType.ALL, min_width=88, on_change=self._on_rail,
            destinations=[ft.NavigationRailDestination(icon=VIEW_ICONS[v][0], selected_icon=VIEW_ICONS[v][1],
                                                       label=label) for v, label in VIEW_LABELS.items()])
        self.phone_bar = PhoneBar(page, self._pick_view)
        self.nav_bar = self.phone_bar.control
        self.status_filter = ft.Dropdown(value=OPEN, dense=True, width=140, label="Status", tooltip="Status",
                                         options=[ft.DropdownOption(key=k, text=v) for k, v in STATUS_LABELS.items()],
                                         on_select=self._on_filter)
        self.priority_filter = ft.Dropdown(
            value="", dense=True, width=104, label="Priority", tooltip="Priority", on_select=self._on_filter,
            options=[ft.DropdownOption(key="", text="Any")] + [ft.DropdownOption(key=p, text=p.title()) for p in PRIORITIES])
        self.tag_filter = ft.Dropdown(value="", dense=True, width=110, label="Tag", tooltip="Tag", options=[ft.DropdownOption(key="", text="Any")],
                                      on_select=self._on_filter)
        self.view_title = ft.Text("All", theme_style=ft.TextThemeStyle.TITLE_MEDIUM, weight=ft.FontWeight.BOLD,
                                  expand=True)
        # Over the list, not in it: it stays in reach however far the results are scrolled.
        self.close_search_button = ft.TextButton("Close search", icon=ft.Icons.CLOSE, visible=False,
                                                 on_click=lambda e: page.run_task(self.clear_search))
        # A team's queue; shown once the shop has teams (Settings › Teams).
        self.team_filter = ft.Dropdown(value="", dense=True, width=160, label="Team", tooltip="Team", visible=False,
                                       options=[ft.DropdownOption(key="", text="All teams")], on_select=self._on_filter)
        self.filters = ft.Row([self.status_filter, self.priority_filter, self.tag_filter, self.team_filter], wrap=True,
                              spacing=8)
        self.inbox = InboxList(page, self.open, self._load_more)
        self.mail_banner_text = ft.Text("", size=12, color=ft.Colors.ON_SECONDARY_CONTAINER, expand=True)
        self.mail_banner = ft.Container(
            visible=False, bgcolor=ft.Colors.SECONDARY_CONTAINER, padding=ft.Padding.symmetric(horizontal=16, vertical=8),
            content=ft.Row([ft.Icon(ft.Icons.CLOUD_OFF, size=18, color=ft.Colors.ON_SECONDARY_CONTAINER),
                            self.mail_banner_text], spacing=8))
        self.list_pane = ft.Container(width=400, content=ft.Column([
            self.mail_banner,
            ft.Container(padding=ft.Padding.only(left=16, right=8, top=12, bottom=4),
                         content=ft.Column([ft.Row([self.view_title, self.close_search_button]), self.filters],
                                           spacing=8)),
            ft.Divider(height=1), self.inbox.view], spacing=0, expand=True))
        self.over_list = OverList(self.rail, self.view_title, self.filters, self.close_search_button, self.tag_filter,
                                  self.team_filter, self.status_filter)
        self.files = PendingFiles(page, ctx.services, ctx.settings.data_dir / UPLOADS, self._files_changed, ctx.toast,
                                  ctx.read)
        acts = self.actions = ConversationActions(ctx, self.c, self.zone, self._refresh_open, self.files)
        self.header = ConversationHeader(page, agents, self.c.agent_id, HeaderActions(
            assign=acts.assign, priority=acts.priority, status=acts.status, snooze=acts.snooze,
            pick_snooze=acts.pick_snooze, add_tag=acts.add_tag, remove_tag=acts.remove_tag,
            copy_link=acts.copy_link, merge=acts.merge, spam=acts.spam, not_spam=acts.not_spam, team=acts.team,
            save_article=acts.save_article),
            self.zone,
            ctx.services.clock.now)
        self.thread = ThreadView(page, self.zone, lambda files: file_chips(page, ctx.services, files),
                                 mail_tools(page, ctx.services), card_tools(ctx, self.zone, self._refresh_open))
        self.assist = AssistPanel(ctx, self.open, acts.insert_canned)
        self.composer = acts.composer = self.assist.composer = Composer(
            page, self.c.typed, acts.save_draft, acts.send, acts.insert_canned, self.files.pick, self.files.row,
            self.assist.row, self._request_payment)
        self.composer.set_canned(canned, acts.save_my_canned)
        self.composer.set_macros([(m.id, m.name, describe_macro(m.actions)) for m in macros], acts.macro,
                                 functools.partial(macros_dialog, self.ctx))
        self.composer.mentionable = lambda: [a.name for a in agents if a.id != self.c.agent_id] + \
            sorted(self.c.teams.values())
        self.conversation = ft.Column([
            self.header.control, ft.Divider(height=1),
            ft.Container(self.thread.view, expand=True, bgcolor=ft.Colors.SURFACE_CONTAINER_LOWEST),
            ft.Divider(height=1), self.composer.control], spacing=0, expand=True, visible=False)
        self.placeholder = nothing_open()
        self.conversation_pane = ft.Container(ft.Stack([self.placeholder, self.conversation], expand=True),
                                              expand=True)
        self.customer = CustomerPanel(
            page, self.open, self.zone, self._link_customer, below=self.assist.similar,
            on_export=self._export_customer if ctx.is_admin else None,
            on_erase=self._erase_customer if ctx.is_admin else None)
        self.body = ft.Row([self.rail, ft.VerticalDivider(width=1), self.list_pane, ft.VerticalDivider(width=1),
                            self.conversation_pane, self.customer.control], expand=True, spacing=0,
                           vertical_alignment=ft.CrossAxisAlignment.STRETCH)
        page.appbar = self._app_bar()
        page.controls.clear()
        page.add(self.body)
        page.on_keyboard_event = self._on_key
        page.on_resize = self._on_resize
        self._active = True
        self._layout(page.width or 1280)
        await self.c.load_inbox()
        self._show_inbox()
        await self._show_mail_trouble(update=False)
        page.update()
        resume_at = resume_at or await ctx.read(ctx.services.drafts.location, self.c.agent_id)
        if resume_at:
            await self.open(resume_at)
        self._ticker = asyncio.get_running_loop().create_task(self._tick())
        await self.load_articles()  # after the inbox is on screen: only "/" in the reply box needs them
        settled.settle()  # this workspace lives as long as the session: out of the collector's walks

    def _app_bar(self) -> ft.AppBar:
        agent = self.ctx.agent
        self.brand = ft.Text("Helpdesk")
        self.back = icon_button(ft.Icons.ARROW_BACK, "Back to the inbox", visible=False,
                                on_click=lambda e: self.page.run_task(self.close_conversation))
        return ft.AppBar(
            leading=self.back, center_title=False, bgcolor=ft.Colors.SURFACE_CONTAINER, toolbar_height=64,
            title=ft.Row([ft.Icon(ft.Icons.FORUM_OUTLINED, color=ft.Colors.PRIMARY), self.brand,
                          ft.Container(self.search_field, expand=True, padding=ft.Padding.only(left=16, right=4))],
                         spacing=8),
            actions=[icon_button(ft.Icons.KEYBOARD_COMMAND_KEY, "Commands (Ctrl+K)",
                                 on_click=lambda e: self.page.run_task(self.palette.open)),
                     ft.PopupMenuButton(content=ft.Row([ft.Icon(ft.Icons.ACCOUNT_CIRCLE),
                                                        ft.Text(agent.name.split()[0])], tight=True),
                                        tooltip="Account", items=account.menu_items(self.ctx)),
                     ft.Container(width=8)])

    async def load_macros(self) -> None:
        """The macros this agent may run, read again (one was made, changed or deleted)."""
        self.macros = await self.ctx.read(self.ctx.services.macros.visible_to, self.ctx.actor)
        self.composer.set_macros([(m.id, m.name, describe_macro(m.actions)) for m in self.macros], self.actions.macro,
                                 functools.partial(macros_dialog, self.ctx))
        self.page.update(self.composer.macros)

    async def load_articles(self) -> None:
        """The published help articles "/" in the reply box offers (read at the start and when one changes)."""
        articles = self.ctx.services.articles

        def load() -> list[tuple[str, str]]:
            return [(a.title, articles.url(a)) for a in articles.all(status=PUBLISHED)]

        self.composer.linkable = await self.ctx.read(load)

    def _files_changed(self) -> None:
        if self._active:
            self.page.update(self.composer.control)

    async def leave(self) -> None:
        """Going to another screen, signing out, or the session gone: as `pause`, for good."""
        await self.pause()
        self.files.close()
        self.page.on_keyboard_event = None
        self.page.on_resize = None
        self.page.navigation_bar = None
        settled.release_soon()

    # ---- layout ---------------------------------------------------------------------------

    def _layout(self, width: float) -> bool:
        """Arrange the panes for the width and whether a conversation is open; True if that changed."""
        self.narrow = width < NARROW
        opened = self.c.selected_id is not None
        arrangement = (self.narrow, opened)
        if arrangement == self._arrangement:
            return False
        self._arrangement = arrangement
        self.rail.visible = not self.narrow
        self.brand.visible = not self.narrow
        # On a phone the views move from the side rail to a bar at the bottom, and the
        # conversation, when one is open, takes the whole screen.
        self.page.navigation_bar = self.nav_bar if self.narrow and not opened else None
        self.customer.control.visible = not self.narrow and opened
        self.header.compact(self.narrow)
        self.composer.compact(self.narrow)
        self.placeholder.visible = not opened
        self.conversation.visible = opened
        if self.narrow:
            self.list_pane.visible = not opened
            self.list_pane.width, self.list_pane.expand = None, True
            self.conversation_pane.visible = opened
            self.back.visible = opened
        else:
            self.list_pane.visible = True
            self.list_pane.width, self.list_pane.expand = 400, False
            self.conversation_pane.visible = True
            self.back.visible = False
        return True

    async def _on_resize(self, _e: Any) -> None:
        if self._layout(self.page.width or 1280):
            self.page.update()

    # ---- a conversation ----------------------------------------------------------------------

    async def open(self, conversation_id: int, focus_message_id: int | None = None) -> None:
        switching = conversation_id != self.c.selected_id
        if switching and self.c.selected_id is not None:
            self.composer.cancel_pending_save()
            await self.composer.flush()
        try:
            opened = await self.c.open(conversation_id)
        except NotFound:
            self.ctx.toast("That conversation no longer exists.", error=True)
            return
        if opened is None:  # another click came first
            return
        now = self.ctx.services.clock.now()
        self.header.team_names = self.c.teams
        self.header.show(opened.detail, now)
        self.header.show_presence(self.c.presence_words())
        self.thread.show(opened.detail, now, (self.page.height or 800) if switching else None)
        changed = [self.header.control, self.thread.view]
        answerable = opened.detail.conversation.status != SPAM  # spam is never answered: "Not spam" first
        if self.composer.control.visible != answerable:
            self.composer.control.visible = answerable
            changed.append(self.composer.control)
        if self.customer.show(opened.detail, opened.history, now):
            changed.append(self.customer.control)
        ways = opened.ways
        ways_key = (ways.options, ways.whatsapp_until, ways.texts_stopped,
                    ways.whatsapp_until is not None and ways.whatsapp_until > now) if ways is not None else None
        if ways is not None and (switching or ways_key != self._ways_key):
            self.composer.set_ways(ways.options, ways.whatsapp_until, ways.texts_stopped, now, self.zone)
            changed.append(self.composer.control)
        self._ways_key = ways_key
        if switching and self.composer.choices:  # choices belong to the reply they were picked for
            self.composer.set_choices([])
            changed.append(self.composer.control)
        if opened.draft is not None:
            self.composer.set_text(opened.draft)
        rows = self.inbox.select(conversation_id)
        if self._layout(self.page.width or 1280):
            self.page.update()  # the layout changed (a phone switching to the conversation)
        elif switching:  # only what changed: a whole-page diff alone costs tens of milliseconds
            self.page.update(self.conversation_pane, self.customer.control, *rows)
        else:  # the open one again (a live event): not the composer the agent is typing in, unless it changed
            self.page.update(*changed, *rows)
        if focus_message_id:
            await self.thread.focus(focus_message_id)
        elif switching and self._active:
            self.page.run_task(self._show_rest_of_thread, conversation_id)
        await self.c.after_open(opened)
        # After the thread is on screen: never slows the click. Not once the page has gone (its
        # browser closed while this opened): it has no connection to run on.
        if conversation_id != self.assist.conversation_id and self._active:
            self.page.run_task(self.assist.show, conversation_id)

    async def _show_rest_of_thread(self, conversation_id: int) -> None:
        await asyncio.sleep(REST_AFTER)  # the screen's part goes out and is drawn first
        if self._active and self.c.selected_id == conversation_id and self.thread.show_rest():
            self.page.update(self.thread.view)

    async def close_conversation(self, update: bool = True) -> None:
        self.composer.cancel_pending_save()
        await self.composer.flush()
        await self.c.close()
        self.thread.clear()
        self.inbox.select(None)
        self._layout(self.page.width or 1280)
        if update:
            self.page.update()

    async def _link_customer(self, customer_id: int) -> None:
        await link_customer(self.ctx, customer_id, self._refresh_open)

    async def _export_customer(self, customer_id: int) -> None:
        await customer_data.export(self.ctx, customer_id)

    async def _erase_customer(self, customer_id: int, name: str) -> None:
        await customer_data.erase(self.ctx, customer_id, name, self._refresh_open)

    async def _request_payment(self) -> None:
        if self.c.selected_id is not None:
            await request_payment(self.ctx, self.c.selected_id, self._refresh_open)

    async def _refresh_open(self, conversation_id: int | None = None) -> None:
        """Draw the open conversation again (or open another: where a merge put it)."""
        if (target := conversation_id or self.c.selected_id) is not None:
            await self.open(target)

    # ---- keyboard ------------------------------------------------------------------------------

    async def _on_key(self, e: ft.KeyboardEvent) -> None:
        updates_itself()
        if e.ctrl and e.key == "Enter":
            await self.actions.send(PENDING)
        elif e.ctrl and e.key.upper() == "K":
            await self.palette.open()
        elif e.alt and e.key in ("Arrow Down", "Arrow Up"):
            target = self.c.neighbour(1 if e.key == "Arrow Down" else -1)
            if target is not None:
                await self.open(target)
        elif e.key == "Escape" and self.c.searching is not None:
            await self.clear_search()
