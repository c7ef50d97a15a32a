"""A received mail as it came: the thread shows the customer's new words; "Whole mail" shows
everything they sent (quoted history and signature included), with the HTML version and
the .eml one click away through signed links."""

from __future__ import annotations

import asyncio
from typing import Callable

import flet as ft

from helpdesk.models import IN, Message
from helpdesk.services.container import Services
from helpdesk.ui.workspace.attachments import page_base
from helpdesk.ui.widgets import close_dialog


def mail_line(message: Message) -> str:
    """Under the author: who the mail came from and who else got it; machine mail says so."""
    meta = (message.meta or {}) if message.direction == IN else {}
    mail = meta.get("email") or {}
    if not mail:
        return ""
    parts = [f"from {mail.get('from', '')}"]
    if mail.get("cc"):
        parts.append("cc " + ", ".join(mail["cc"][:4]) + ("…" if len(mail["cc"]) > 4 else ""))
    if meta.get("automatic"):
        parts.append("automatic reply")
    if meta.get("list"):
        parts.append("from a mailing list")
    return " · ".join(parts)


def mail_tools(page: ft.Page, services: Services) -> Callable[[Message], list[ft.Control]]:
    def tools(message: Message) -> list[ft.Control]:
        if message.direction != IN or not (message.meta or {}).get("email"):
            return []
        return [ft.TextButton("Whole mail", icon=ft.Icons.MAIL_OUTLINE, style=ft.ButtonStyle(padding=4),
                              on_click=lambda e, m=message: page.run_task(_show, page, services, m))]
    return tools


async def _show(page: ft.Page, services: Services, message: Message) -> None:
    record = await asyncio.to_thread(services.mail.intake.original, message.id)
    if record is None:
        return
    base = page_base(page)
    actions: list[ft.Control] = []
    if record.html:
        actions.append(ft.TextButton("Open as HTML", icon=ft.Icons.OPEN_IN_NEW,
                                     url=base + services.files.signed_mail_path(record.id, "html")))
    if record.raw_sha256:
        actions.append(ft.TextButton("Download .eml", icon=ft.Icons.DOWNLOAD,
                                     url=base + services.files.signed_mail_path(record.id, "eml")))
    actions.append(ft.TextButton("Close", on_click=lambda e: close_dialog(page)))
    page.show_dialog(ft.AlertDialog(
        title=ft.Text(record.subject or "(no subject)"),
        content=ft.Container(width=640, height=420, content=ft.Column([
            ft.Text(f"From {record.sender}", size=12, color=ft.Colors.ON_SURFACE_VARIANT),
            ft.Text(record.full_text or "(no text)", selectable=True)], scroll=ft.ScrollMode.AUTO)),
        actions=actions))
    page.update()
