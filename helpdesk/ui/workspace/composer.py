"""The reply box: text, canned replies, which channel the reply leaves by ("reply by SMS
instead"), and the four ways to send. On texts it counts characters and SMS parts as the
agent types. Typing saves a draft on the server once the agent pauses, so the reply
continues on another device."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any, Awaitable, Callable

import flet as ft

from helpdesk.models import OPEN, PENDING, RESOLVED, CannedReply
from helpdesk.services.messaging import LABELS
from helpdesk.services.messaging.sms import sms_size
from helpdesk.ui.widgets import close_dialog, icon_button, labelled_icon, sync_value, updates_itself

DRAFT_SAVE_DELAY = 0.7
# "@" and what follows it at the end of the text: a mention being typed ("@to", "@Tom Me").
_TYPING_MENTION = re.compile(r"(?:^|\s)@([^\s@][^@\n]{0,30}|)$")
MENTION_CHOICES = 6
# "/" and what follows it at the end of the text: a help article being looked for ("/brak", "/opening h").
_TYPING_LINK = re.compile(r"(?:^|\s)/([^\s/][^/\n]{0,40}|)$")


class Composer:
    def __init__(self, page: ft.Page, on_typed: Callable[[], None], save_draft: Callable[[str], Awaitable[None]],
                 send: Callable[[str], Awaitable[None]], insert_canned: Callable[[str, int | None], Awaitable[None]],
                 attach: Callable[[], Awaitable[None]] | None = None, files_row: ft.Control | None = None,
                 assist_row: ft.Control | None = None,
                 request_payment: Callable[[], Awaitable[None]] | None = None) -> None:
        self.page = page
        self._on_typed, self._save_draft = on_typed, save_draft
        self.field = ft.TextField(multiline=True, min_lines=3, max_lines=10, label="Reply", border_radius=12,
                                  hint_text="Write a reply… (Ctrl+Enter sends and sets pending)",
                                  on_change=self._changed)
        self.canned_icon = ft.Icon(ft.Icons.QUICKREPLY_OUTLINED, color=ft.Colors.PRIMARY)
        self.canned_words = ft.Text("Canned reply", color=ft.Colors.PRIMARY)
        self.canned = ft.PopupMenuButton(
            content=ft.Row([self.canned_icon, self.canned_words], tight=True, spacing=6),
            tooltip="Insert a canned reply", items=[])
        self._insert_canned = insert_canned
        self._save_mine: Callable[[str], Awaitable[None]] | None = None
        # The shop's everyday answers with what goes with them (tags, status…), in one click.
        self.macros = ft.PopupMenuButton(content=labelled_icon(ft.Icons.BOLT, "Macros"), tooltip="Run a macro",
                                         items=[])
        run = page.run_task
        # On a phone the other ways to send live in a menu beside Send, so the thread keeps the screen.
        self.others = [ft.TextButton("Add internal note", icon=ft.Icons.STICKY_NOTE_2_OUTLINED,
                                     on_click=lambda e: run(send, "note")),
                       ft.OutlinedButton("Send and keep open", on_click=lambda e: run(send, OPEN)),
                       ft.OutlinedButton("Send and resolve", icon=ft.Icons.CHECK,
                                         on_click=lambda e: run(send, RESOLVED))]
        self.more = ft.PopupMenuButton(content=labelled_icon(ft.Icons.MORE_HORIZ, "More ways to send"),
                                       tooltip="More ways to send", visible=False, items=[
            ft.PopupMenuItem(content="Add internal note", icon=ft.Icons.STICKY_NOTE_2_OUTLINED,
                             on_click=lambda e: run(send, "note")),
            ft.PopupMenuItem(content="Send and keep open", on_click=lambda e: run(send, OPEN)),
            ft.PopupMenuItem(content="Send and resolve", icon=ft.Icons.CHECK, on_click=lambda e: run(send, RESOLVED))])
        self.send_button = ft.FilledButton("Send and set pending", icon=ft.Icons.SEND,
                                           on_click=lambda e: run(send, PENDING))
        self.attach = ft.TextButton("Attach", icon=ft.Icons.ATTACH_FILE, tooltip="Attach photos or files",
                                    on_click=lambda e: run(attach), visible=attach is not None)
        self.attach_icon = icon_button(ft.Icons.ATTACH_FILE, "Attach photos or files", visible=False,
                                       on_click=lambda e: run(attach))  # on a phone
        self._can_attach = attach is not None
        # Answers the customer can tap with the next reply (buttons in the chat and on their page,
        # Telegram's keyboard, "Reply 1 or 2" by text and mail).
        self.choices: list[str] = []
        self.choices_row = ft.Row([], wrap=True, spacing=6, visible=False)
        # "@" offers colleagues and teams to name in an internal note (services/mentions.py).
        self.mentionable: Callable[[], list[str]] = lambda: []
        self.mentions_row = ft.Row([], wrap=True, spacing=6, visible=False)
        # "/" offers the published help articles whose title starts with what follows: their link goes in.
        self.linkable: list[tuple[str, str]] = []  # (title, link), from the workspace
        self.links_row = ft.Row([], wrap=True, spacing=6, visible=False)
        # Rich replies behind one icon (named for tooltips and screen readers): the send buttons keep their room.
        self.rich = ft.PopupMenuButton(content=labelled_icon(ft.Icons.ADD_CIRCLE_OUTLINE, "Payment or choices"),
                                       tooltip="Payment or choices", items=[
            *([ft.PopupMenuItem(content="Request payment…", icon=ft.Icons.PAYMENTS_OUTLINED,
                                on_click=lambda e: run(request_payment))] if request_payment is not None else []),
            ft.PopupMenuItem(content="Add choices the customer can tap…", icon=ft.Icons.CHECKLIST,
                             on_click=lambda e: run(self._edit_choices))])
        # Which way the reply leaves; a menu when the customer can be reached more than one way.
        self.via_label = ft.Text("", color=ft.Colors.PRIMARY)
        self.via = ft.PopupMenuButton(content=ft.Row([ft.Icon(ft.Icons.ALT_ROUTE, color=ft.Colors.PRIMARY, size=18),
                                                      self.via_label,
                                                      ft.Icon(ft.Icons.ARROW_DROP_DOWN, color=ft.Colors.PRIMARY)],
                                                     tight=True, spacing=4),
                                      tooltip="Which way this reply goes to the customer", items=[], visible=False)
        self._via: str | None = None
        self._options: list[str] = []
        self.counter = ft.Text("", size=12, color=ft.Colors.ON_SURFACE_VARIANT)
        self.limits = ft.Text("", size=12, color=ft.Colors.ON_SURFACE_VARIANT, expand=True)
        self._default_via: str | None = None
        self.control = ft.Container(padding=ft.Padding.only(left=16, right=16, bottom=12, top=8), content=ft.Column([
            *([files_row] if files_row is not None else []),
            *([assist_row] if assist_row is not None else []),
            self.field, self.mentions_row, self.links_row, self.choices_row,  # offers below the field: it keeps its place and focus
            ft.Row([self.via, self.limits, self.counter], spacing=12,
                   vertical_alignment=ft.CrossAxisAlignment.CENTER),
            ft.Row([ft.Row([self.canned, self.macros, self.attach, self.attach_icon, self.rich], spacing=4, tight=True), ft.Row([*self.others, self.more, self.send_button], wrap=True, spacing=8,
                                        run_spacing=8, alignment=ft.MainAxisAlignment.END, expand=True)],
                   vertical_alignment=ft.CrossAxisAlignment.START),
        ], spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH))
        self._last_edit = 0.0
        self._saver: asyncio.Task | None = None
        self.dirty = False  # typed in since the draft was loaded or saved

    def set_ways(self, options: list[str], whatsapp_until: Any = None, texts_stopped: Any = None,
                 now: Any = None, zone: Any = None) -> None:
        """The channels this reply can leave by (the default first) and what limits them."""
        self._default_via = options[0] if options else None
        self._options = options
        self._pick(self._default_via)
        self.via.visible = len(options) > 1
        notes = []
        if texts_stopped is not None:
            notes.append(f"The customer texted STOP on {texts_stopped.astimezone(zone).day} {texts_stopped.astimezone(zone):%b}: no texts to them")
        if whatsapp_until is not None and now is not None and "whatsapp" in options:
            if whatsapp_until > now:
                notes.append(f"WhatsApp: replies possible until {whatsapp_until.astimezone(zone):%a %H:%M}")
            else:
                notes.append("WhatsApp's 24 hours have passed: answer another way or wait for the customer")
        self.limits.value = " · ".join(notes)
        self._count()

    def _pick(self, channel: str | None) -> None:
        self._via = channel
        name = LABELS.get(channel or "", channel or "")
        self.via_label.value = f"Reply on {name}" if channel in ("web", "api") else f"Reply by {name}"
        self.via.items = [ft.PopupMenuItem(content=LABELS.get(o, o)[:1].upper() + LABELS.get(o, o)[1:] +
                                           (" (where they last wrote)" if i == 0 else ""),
                                           icon=ft.Icons.CHECK if o == channel else None,
                                           on_click=lambda e, o=o: self._chose(o))
                          for i, o in enumerate(self._options)]

    def _chose(self, channel: str) -> None:
        self._pick(channel)
        self._count()
        self.page.update(self.control)

    @property
    def chosen_via(self) -> str | None:
        """The channel the agent picked, or None for the default."""
        return self._via if self._via and self._via != self._default_via else None

    def _count(self) -> None:
        """Characters and SMS parts, while the reply leaves as a text."""
        if (self._via or self._default_via) == "sms" and self.text:
            self.counter.value = sms_size(self.text).words()
        else:
            self.counter.value = ""

    def compact(self, narrow: bool) -> None:
        for button in self.others:
            button.visible = not narrow
        self.more.visible = narrow
        # Icons alone on a phone (named for screen readers), so Send keeps its words on one line.
        self.canned_words.visible = not narrow
        self.canned_icon.semantics_label = "Canned reply" if narrow else None
        self.attach.visible = self._can_attach and not narrow
        self.attach_icon.visible = self._can_attach and narrow
        self.field.min_lines = 2 if narrow else 3

    async def _edit_choices(self) -> None:
        field = ft.TextField(label="One answer per line", multiline=True, min_lines=3, max_lines=10, autofocus=True,
                             value="\n".join(self.choices), on_change=sync_value,
                             hint_text="Track my order\nTalk to a person")

        def save(_e: Any) -> None:
            close_dialog(self.page)
            self.set_choices([line.strip() for line in (field.value or "").splitlines() if line.strip()])
            self.page.update()

        self.page.show_dialog(ft.AlertDialog(
            title=ft.Text("Choices the customer can tap"),
            content=ft.Column([ft.Text("Sent with your next reply: up to 10, each up to 40 characters. The "
                                       "customer's answer arrives as their message, marked as the choice.",
                                       size=12, color=ft.Colors.ON_SURFACE_VARIANT), field], tight=True, width=420),
            actions=[ft.TextButton("Cancel", on_click=lambda e: close_dialog(self.page)),
                     ft.FilledButton("Use these", on_click=save)]))
        self.page.update()

    def set_choices(self, choices: list[str]) -> None:
        self.choices = choices
        self.choices_row.controls = [ft.Text("Choices:", size=12, color=ft.Colors.ON_SURFACE_VARIANT),
                                     *(ft.Chip(label=ft.Text(c)) for c in choices),
                                     ft.TextButton("Remove choices", on_click=lambda e: self._clear_choices())]
        self.choices_row.visible = bool(choices)

    def _clear_choices(self) -> None:
        self.set_choices([])
        self.page.update(self.control)

    @property
    def text(self) -> str:
        return self.field.value or ""

    def set_text(self, text: str) -> None:
        self.field.value = text
        self.dirty = False
        self._count()

    def set_canned(self, replies: list[CannedReply],
                   save_mine: Callable[[str], Awaitable[None]] | None = None) -> None:
        """The canned replies (the team's, and the agent's own marked so) and, with `save_mine`, an
        item that keeps what is in the box as the agent's own canned reply."""
        if save_mine is not None:
            self._save_mine = save_mine
        self.canned.items = [ft.PopupMenuItem(content=r.title + (" (mine)" if r.owner_id is not None else ""),
                                              on_click=lambda e, r=r: self.page.run_task(
            self._insert_canned, r.body, r.id)) for r in replies] or \
            [ft.PopupMenuItem(content="No canned replies yet (Settings › Canned replies)", disabled=True)]
        if self._save_mine is not None:
            self.canned.items.append(ft.PopupMenuItem(
                content="Save what I wrote as my canned reply…", icon=ft.Icons.BOOKMARK_ADD_OUTLINED,
                on_click=lambda e: self.page.run_task(self._save_mine, self.text)))

    def set_macros(self, macros: list[tuple[int, str, str]], run: Callable[[int, str], Awaitable[None]],
                   manage: Callable[[], Awaitable[None]] | None = None) -> None:
        """(id, name, what it does) of the macros this agent may run; `manage` opens their own."""
        self.macros.items = [ft.PopupMenuItem(content=f"{name} · {what}", on_click=lambda e, i=i, n=name:
                                              self.page.run_task(run, i, n)) for i, name, what in macros] or \
            [ft.PopupMenuItem(content="No macros yet", disabled=True)]
        if manage is not None:
            self.macros.items.append(ft.PopupMenuItem(content="My macros…", icon=ft.Icons.TUNE,
                                                      on_click=lambda e: self.page.run_task(manage)))

    async def _changed(self, _e: Any) -> None:
        updates_itself()
        self.typed()
        if self.counter.value or (self._via or self._default_via) == "sms":  # a text: count as they type
            self._count()
            self.page.update(self.counter)
        if self._offer_mentions():
            self.page.update(self.mentions_row)
        if self._offer_links():
            self.page.update(self.links_row)

    def _offer_mentions(self) -> bool:
        """Colleagues and teams whose name starts as typed after an "@" (True: the offer changed)."""
        typing = _TYPING_MENTION.search(self.text)
        typed = typing.group(1).lower() if typing else None
        names = [] if typed is None else \
            [n for n in self.mentionable() if n.lower().startswith(typed)][:MENTION_CHOICES]
        shown = [c.data for c in self.mentions_row.controls]
        if names == shown:
            return False
        self.mentions_row.controls = [
            ft.TextButton(f"@{name}", data=name, icon=ft.Icons.ALTERNATE_EMAIL, tooltip=f"Mention {name}",
                          on_click=lambda e, n=name: self._mention(n)) for name in names]
        self.mentions_row.visible = bool(names)
        return True

    def _mention(self, name: str) -> None:
        typing = _TYPING_MENTION.search(self.text)
        start = typing.start(0) + (1 if typing and typing.group(0)[:1].isspace() else 0) if typing else len(self.text)
        self.field.value = self.text[:start] + f"@{name} "
        self.mentions_row.controls, self.mentions_row.visible = [], False
        self.typed()
        self.page.update(self.field, self.mentions_row)

    def _offer_links(self) -> bool:
        """Help articles whose title has words starting as typed after a "/" (True: the offer changed)."""
        typing = _TYPING_LINK.search(self.text) if self.linkable else None
        words = typing.group(1).lower().split() if typing else None
        found = [] if words is None else [(title, url) for title, url in self.linkable if all(
            any(t.startswith(w) for t in title.lower().split()) for w in words)][:MENTION_CHOICES]
        if [c.data for c in self.links_row.controls] == found:
            return False
        self.links_row.controls = [
            ft.TextButton(title, data=(title, url), icon=ft.Icons.ARTICLE_OUTLINED, tooltip=f"Insert the link: {url}",
                          on_click=lambda e, t=title, u=url: self._link(t, u)) for title, url in found]
        self.links_row.visible = bool(found)
        return True

    def _link(self, title: str, url: str) -> None:
        typing = _TYPING_LINK.search(self.text)
        start = typing.start(0) + (1 if typing and typing.group(0)[:1].isspace() else 0) if typing else len(self.text)
        self.field.value = self.text[:start] + f"{title}: {url} "
        self.links_row.controls, self.links_row.visible = [], False
        self.typed()
        self.page.update(self.field, self.links_row)

    def typed(self) -> None:
        self._last_edit = time.monotonic()
        self.dirty = True
        self._on_typed()
        if self._saver is None or self._saver.done():
            self._saver = asyncio.get_running_loop().create_task(self._save_when_paused())

    async def _save_when_paused(self) -> None:
        """Save once typing pauses; keystrokes that arrive during a save are saved after it."""
        while True:
            await asyncio.sleep(DRAFT_SAVE_DELAY)
            if time.monotonic() - self._last_edit < DRAFT_SAVE_DELAY:
                continue  # still typing
            saved = self.text
            await self.flush()
            if self.text == saved:
                return

    async def flush(self) -> None:
        """Save the draft now if it changed (before switching conversation, signing out, leaving)."""
        if self.dirty:
            self.dirty = False
            await self._save_draft(self.text)

    def cancel_pending_save(self) -> None:
        if self._saver is not None and not self._saver.done():
            self._saver.cancel()
