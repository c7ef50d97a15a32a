"""The thread of the open conversation, newest at the bottom. A list that grows upwards
(reverse), so it opens at the newest message without a scroll, and a new message is one
control added, not a thread rebuilt. Long threads show their last THREAD_PAGE messages
first; "Show earlier messages" brings the rest a page at a time."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any, Callable

import flet as ft

from helpdesk.models import EVENT, IN, NOTE, Message
from helpdesk.services.base import stored_id
from helpdesk.services.conversations import ConversationDetail
from helpdesk.ui import format as fmt
from helpdesk.ui.widgets import Isolated
from helpdesk.ui.workspace.mail_original import mail_line
from helpdesk.web.media import shared_card

THREAD_PAGE = 40
BUBBLE_HEIGHT_AT_LEAST = 56  # px: a bubble's header line, one line of text and its padding
BUBBLE_MARGIN = 72  # the side a bubble leaves free: the customer's on the left, the team's on the right


DELIVERY_WORDS = {"queued": ("waiting to be sent", ft.Icons.SCHEDULE), "sending": ("being sent", ft.Icons.SCHEDULE),
                  "sent": ("sent", ft.Icons.DONE),
                  "delivered": ("delivered", ft.Icons.DONE_ALL), "failed": ("not delivered", ft.Icons.ERROR_OUTLINE)}
FileChips = Callable[[list], list[ft.Control]]
MessageTools = Callable[[Message], list[ft.Control]]
CardTools = Callable[[Message, Any], list[ft.Control]]


def rich_lines(message: Message) -> list[ft.Control]:
    """Choices a reply offered, the choice an answer made, the help articles the customer read
    first, a shared location or contact."""
    meta = message.meta or {}
    out: list[ft.Control] = []
    if meta.get("choices"):
        out.append(ft.Row([ft.Text("Choices:", size=12, color=ft.Colors.ON_SURFACE_VARIANT),
                           *(ft.Container(ft.Text(f"{n}. {c}", size=12), bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
                                          border_radius=12, padding=ft.Padding.symmetric(horizontal=8, vertical=2))
                             for n, c in enumerate(meta["choices"], 1))], wrap=True, spacing=6))
    if meta.get("choice") and meta["choice"] != message.body.strip():
        out.append(ft.Text(f"Chose: {meta['choice']}", size=12, weight=ft.FontWeight.W_600))
    seen = [a for a in meta.get("articles_seen") or [] if isinstance(a, dict) and a.get("title")]
    if seen:  # the customer read these on the help center first: no need to send them again
        words = "Read before writing: " + ", ".join(f"“{a['title']}”" for a in seen)
        out.append(ft.Text(words, size=12, italic=True, color=ft.Colors.ON_SURFACE_VARIANT, selectable=True,
                           semantics_label=words))  # selectable text is not read out by itself
    words, map_url = shared_card(meta)
    if words and map_url:
        out.append(ft.TextButton(words, icon=ft.Icons.MAP_OUTLINED, url=map_url, tooltip="Open the map"))
    elif words:
        out.append(ft.Text(words, size=12, selectable=True))
    return out


def message_control(message: Message, detail: ConversationDetail, now: datetime, zone: tzinfo | None,
                    file_chips: FileChips | None = None, tools: MessageTools | None = None,
                    cards: CardTools | None = None) -> ft.Control:
    when = fmt.stamp(message.created_at, now, zone)
    if message.kind == EVENT:
        return Isolated(key=f"m{message.id}", alignment=ft.Alignment.CENTER, padding=ft.Padding.symmetric(
            horizontal=24), content=ft.Text(f"{message.body} · {when}", size=12, italic=True,
                                            color=ft.Colors.ON_SURFACE_VARIANT, text_align=ft.TextAlign.CENTER))
    who = detail.author_name(message) + (" (bot)" if message.author_token_id else "")
    if message.direction == IN:
        bg, margin = ft.Colors.SURFACE_CONTAINER_HIGH, ft.Margin.only(right=BUBBLE_MARGIN)
    elif message.kind == NOTE:
        who, bg, margin = f"{who} · internal note", ft.Colors.AMBER_100, ft.Margin.only(left=BUBBLE_MARGIN)
    else:
        bg, margin = ft.Colors.PRIMARY_CONTAINER, ft.Margin.only(left=BUBBLE_MARGIN)
    note = message.kind == NOTE
    mail = mail_line(message)
    # Selectable text with spans is not in the accessibility tree by itself: the label is what a
    # screen reader (and the browser tests) read.
    text = ft.Text(selectable=True, semantics_label=f"{who}, {when}: {message.body}", spans=[
        ft.TextSpan(f"{who} · {when}" + (f" · {mail}" if mail else "") + "\n",
                    ft.TextStyle(size=12, color=ft.Colors.ON_SURFACE_VARIANT)),
        ft.TextSpan(message.body, ft.TextStyle(color=ft.Colors.BLACK) if note else None)])
    files = detail.attachments.get(message.id, []) if message.id else []
    delivery = detail.deliveries.get(message.id) if message.id else None
    extra: list[ft.Control] = []
    if files and file_chips is not None:
        extra.append(ft.Row(file_chips(files), wrap=True, spacing=8))
    if tools is not None:
        extra.extend(tools(message))
    extra.extend(rich_lines(message) if message.meta else ())
    card = detail.payments.get(message.id) if message.id else None
    if card is not None and cards is not None:
        extra.extend(cards(message, card))
    if delivery is not None and delivery.status != "sent":
        words, icon = DELIVERY_WORDS.get(delivery.status, (delivery.status, ft.Icons.INFO_OUTLINE))
        color = ft.Colors.ERROR if delivery.status == "failed" else ft.Colors.ON_SURFACE_VARIANT
        extra.append(ft.Row([ft.Icon(icon, size=14, color=color), ft.Text(
            f"{words.capitalize()} by {delivery.channel}" + (f": {delivery.error}" if delivery.error else ""),
            size=11, color=color, expand=True, selectable=True)], spacing=4,
            vertical_alignment=ft.CrossAxisAlignment.START))
    return Isolated(  # a thread's update then leaves the messages already shown alone
        key=f"m{message.id}", bgcolor=bg, border_radius=14, margin=margin,
        padding=ft.Padding.symmetric(horizontal=14, vertical=10),
        border=ft.Border.all(1, ft.Colors.AMBER_400) if note else None,
        content=ft.Column([text, *extra], spacing=6, tight=True) if extra else text)


class ThreadView:
    def __init__(self, page: ft.Page, zone: tzinfo | None, file_chips: FileChips | None = None,
                 tools: MessageTools | None = None, cards: CardTools | None = None) -> None:
        self.page = page
        self.zone = zone
        self.file_chips = file_chips
        self.tools = tools
        self.cards = cards
        self.view = ft.ListView(expand=True, reverse=True, spacing=10,
                                padding=ft.Padding.symmetric(horizontal=20, vertical=12))
        self.earlier = ft.Container(alignment=ft.Alignment.CENTER, content=ft.TextButton(
            "Show earlier messages", icon=ft.Icons.EXPAND_LESS, on_click=lambda e: self._show_earlier()))
        self.conversation_id: int | None = None
        self._detail: ConversationDetail | None = None
        self._shown_ids: list[int] = []  # oldest first
        self._hidden = 0
        self._later: list[Message] = []  # the older part of the first page, drawn right after the screen
        self._now: datetime | None = None
        self._deliveries: dict[int, str] = {}
        self._cards: dict[int, tuple[str, str]] = {}

    def show(self, detail: ConversationDetail, now: datetime, window_height: float | None = None) -> None:
        """Draw a newly opened conversation, or add what is new to the one on screen. With the
        window's height, a new one shows what fits on screen first: `show_rest` draws the rest
        of its first page (the click is answered sooner)."""
        self._detail, self._now = detail, now
        if detail.conversation.id != self.conversation_id:
            self.conversation_id = detail.conversation.id
            recent = detail.messages[-THREAD_PAGE:]
            self._hidden = len(detail.messages) - len(recent)
            fits = int(window_height // BUBBLE_HEIGHT_AT_LEAST) + 2 if window_height else len(recent)
            self._later, recent = recent[:-fits], recent[-fits:]
            self._shown_ids = [stored_id(m) for m in recent]
            self.view.controls = [message_control(m, detail, now, self.zone, self.file_chips, self.tools, self.cards) for m in reversed(recent)]
        else:
            last = self._shown_ids[-1] if self._shown_ids else 0
            new = [m for m in detail.messages if (m.id or 0) > last]
            for m in new:
                self.view.controls.insert(0, message_control(m, detail, now, self.zone, self.file_chips, self.tools, self.cards))
                self._shown_ids.append(stored_id(m))
            self._redraw_changed_deliveries(detail, now)
        self._deliveries = {k: v.status for k, v in detail.deliveries.items()}
        self._cards = {k: (v.status, v.stripe_state) for k, v in detail.payments.items()}
        self._place_earlier_button()

    def _redraw_changed_deliveries(self, detail: ConversationDetail, now: datetime) -> None:
        """A reply that was queued and is now sent (or failed), or a payment card that was paid, is
        drawn again; nothing else is."""
        changed = {k for k, v in detail.deliveries.items() if self._deliveries.get(k) != v.status} | \
            {k for k, v in detail.payments.items() if self._cards.get(k) != (v.status, v.stripe_state)}
        if not changed:
            return
        by_id = {m.id: m for m in detail.messages}
        for index, control in enumerate(self.view.controls):
            message_id = int(control.key[1:]) if isinstance(control.key, str) and control.key[1:].isdigit() else None
            if message_id in changed and message_id in by_id:
                self.view.controls[index] = message_control(by_id[message_id], detail, now, self.zone, self.file_chips, self.tools, self.cards)

    def show_rest(self) -> bool:
        """The rest of a newly opened conversation's first page (above the screen); True when
        there was any."""
        if not self._later or self._detail is None or self._now is None:
            return False
        later, self._later = self._later, []
        self._shown_ids = [stored_id(m) for m in later] + self._shown_ids
        self._remove_earlier_button()
        self.view.controls.extend(message_control(m, self._detail, self._now, self.zone, self.file_chips, self.tools, self.cards)
                                  for m in reversed(later))
        self._place_earlier_button()
        return True

    def clear(self) -> None:
        self.conversation_id = None
        self._shown_ids = []
        self._later = []
        self.view.controls = []

    def _remove_earlier_button(self) -> None:
        # By identity, and it is always last (the top of the reversed list): `in` would compare
        # controls field by field.
        if self.view.controls and self.view.controls[-1] is self.earlier:
            self.view.controls.pop()

    def _place_earlier_button(self) -> None:
        self._remove_earlier_button()
        if self._hidden and not self._later:  # not before the rest of the first page
            self.earlier.content.text = f"Show {min(self._hidden, THREAD_PAGE)} earlier messages " \
                                        f"({self._hidden} not shown)"
            self.view.controls.append(self.earlier)

    def _show_earlier(self) -> None:
        self.show_rest()
        if not self._hidden or self._detail is None or self._now is None:
            return
        older = self._detail.messages[max(0, self._hidden - THREAD_PAGE):self._hidden]
        self._hidden -= len(older)
        self._shown_ids = [stored_id(m) for m in older] + self._shown_ids
        self._remove_earlier_button()
        self.view.controls.extend(message_control(m, self._detail, self._now, self.zone, self.file_chips, self.tools, self.cards) for m in reversed(older))
        self._place_earlier_button()
        self.page.update()

    async def focus(self, message_id: int) -> None:
        """Scroll to a message (a search hit), bringing earlier pages in if it is not shown yet."""
        self.show_rest()
        while message_id not in self._shown_ids and self._hidden:
            self._show_earlier()
        if message_id in self._shown_ids:
            await self.view.scroll_to(scroll_key=f"m{message_id}", duration=300)


def nothing_open() -> ft.Container:
    """What the conversation pane shows until a conversation is opened."""
    return ft.Container(alignment=ft.Alignment.CENTER, expand=True, padding=32, content=ft.Column([
        ft.Icon(ft.Icons.MARK_CHAT_UNREAD_OUTLINED, size=48, color=ft.Colors.OUTLINE),
        ft.Text("Pick a conversation", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
        ft.Text("Customer messages appear on the left as they arrive. Alt+Down and Alt+Up move between them.",
                color=ft.Colors.ON_SURFACE_VARIANT, text_align=ft.TextAlign.CENTER),
    ], horizontal_alignment=ft.CrossAxisAlignment.CENTER, tight=True, spacing=8))
