"""Beside the thread: who the customer is (every identity: email, phone, Telegram, an
integrator's id) and all their conversations, so nobody asks what the customer already told
the shop; and linking another customer who is the same person."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Awaitable, Callable

import flet as ft

from helpdesk.services.conversations import ConversationDetail
from helpdesk.services.customers import CustomerHistory
from helpdesk.ui import format as fmt
from helpdesk.ui.workspace.conversation_header import SHOWN_STATUS

ICONS = {"email": ft.Icons.EMAIL_OUTLINED, "phone": ft.Icons.PHONE_OUTLINED, "external_id": ft.Icons.BADGE_OUTLINED,
         "telegram": ft.Icons.SEND_OUTLINED}
KIND_NAMES = {"email": "Email", "phone": "Phone", "external_id": "ID in another system", "telegram": "Telegram user id"}


class CustomerPanel:
    def __init__(self, page: ft.Page, on_open: Callable[[int], Awaitable[None]], zone: tzinfo | None,
                 on_link: Callable[[int], Awaitable[None]] | None = None, below: ft.Control | None = None,
                 on_export: Callable[[int], Awaitable[None]] | None = None,
                 on_erase: Callable[[int, str], Awaitable[None]] | None = None) -> None:
        self.page, self.on_open, self.zone, self.on_link = page, on_open, zone, on_link
        self.on_export, self.on_erase = on_export, on_erase  # admins only
        self.column = ft.Column([], spacing=6)
        # `below`: what else belongs beside the thread (assist's solved conversations), drawn by its owner.
        self.control = ft.Container(ft.Column([self.column, *([below] if below is not None else [])], spacing=6,
                                              scroll=ft.ScrollMode.AUTO),
                                    width=280, padding=16, visible=False, bgcolor=ft.Colors.SURFACE_CONTAINER_LOW)
        self._key: tuple = ()

    def show(self, detail: ConversationDetail, history: CustomerHistory, now: datetime) -> bool:
        """Draw the panel; False when nothing it shows has changed (then it is left alone)."""
        current = detail.conversation.id
        key = (history.profile.customer.id, history.profile.customer.name, current,
               tuple((c.id, c.status, c.subject, c.last_message_at) for c in history.conversations),
               tuple(sorted((k, tuple(v)) for k, v in history.profile.identifiers.items())))
        if key == self._key:
            return False
        self._key = key
        rows: list[ft.Control] = [
            ft.Text(detail.customer_name, theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Text(f"Customer since {fmt.day(history.profile.customer.created_at.astimezone(self.zone))}", size=12,
                    color=ft.Colors.ON_SURFACE_VARIANT),
        ]
        for kind, values in history.profile.identifiers.items():
            rows += [ft.Row([ft.Icon(ICONS.get(kind, ft.Icons.TAG), size=16, tooltip=KIND_NAMES.get(kind, kind)),
                             ft.Text(value, selectable=True, size=13, expand=True)], spacing=6) for value in values]
        if self.on_link is not None:
            customer_id = history.profile.customer.id
            rows.append(ft.TextButton("Link another customer…", icon=ft.Icons.LINK,
                                      tooltip="The same person wrote another way: make it one history",
                                      on_click=lambda e: self.page.run_task(self.on_link, customer_id)))
        if self.on_export is not None and self.on_erase is not None and not history.profile.customer.erased_at:
            customer_id, name = history.profile.customer.id, detail.customer_name
            rows.append(ft.Row([
                ft.TextButton("Export data", icon=ft.Icons.DOWNLOAD, tooltip="Everything held about them, as one zip",
                              on_click=lambda e: self.page.run_task(self.on_export, customer_id)),
                ft.TextButton("Erase customer…", icon=ft.Icons.DELETE_FOREVER_OUTLINED,
                              style=ft.ButtonStyle(color=ft.Colors.ERROR),
                              on_click=lambda e: self.page.run_task(self.on_erase, customer_id, name))],
                wrap=True, spacing=0))
        rows += [ft.Divider(), ft.Text(f"Conversations ({len(history.conversations)})",
                                       theme_style=ft.TextThemeStyle.TITLE_SMALL)]
        for c in history.conversations:
            here = c.id == current
            rows.append(ft.Container(
                padding=8, border_radius=8, bgcolor=ft.Colors.SECONDARY_CONTAINER if here else None,
                on_click=None if here else (lambda e, cid=c.id: self.page.run_task(self.on_open, cid)),
                content=ft.Column([
                    ft.Text(c.subject or c.last_message_preview[:60] or f"#{c.id}", size=13, max_lines=1,
                            overflow=ft.TextOverflow.ELLIPSIS, weight=ft.FontWeight.W_500),
                    ft.Text(f"{SHOWN_STATUS[c.status]} · {fmt.ago(c.last_message_at, now)}", size=12,
                            color=ft.Colors.ON_SURFACE_VARIANT),
                ], spacing=0)))
        self.column.controls = rows
        return True
