"""A customer's data on request, from their panel (admins): "Export data" hands the browser one
zip; "Erase customer…" asks for the word ERASE typed out, says what backups keep, and erases."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import flet as ft

from helpdesk.services.privacy.erase import BACKUP_NIGHTS
from helpdesk.ui.context import UiContext
from helpdesk.ui.downloads import hand_over
from helpdesk.ui.widgets import close_dialog, sync_value

CONFIRM_WORD = "ERASE"


async def export(ctx: UiContext, customer_id: int) -> None:
    services = ctx.services
    ctx.toast("Preparing the export…")
    if await hand_over(ctx, f"customer-{customer_id}-export.zip", "application/zip",
                       lambda out: services.privacy.export(customer_id, out, ctx.actor)):
        ctx.toast("The export is downloading: customer.json, their files and mails, and a README")


async def erase(ctx: UiContext, customer_id: int, name: str, then: Callable[[], Awaitable[None]]) -> None:
    page = ctx.page
    typed = ft.TextField(on_change=sync_value, label=f"Type {CONFIRM_WORD} to confirm", autofocus=True)
    error = ft.Text("", color=ft.Colors.ERROR, visible=False)

    async def confirmed(_e: Any) -> None:
        if (typed.value or "").strip().upper() != CONFIRM_WORD:
            error.value = f"Type {CONFIRM_WORD} to erase, or Cancel."
            error.visible = True
            page.update()
            return
        close_dialog(page)
        done = await ctx.attempt(ctx.services.privacy.erase, customer_id, ctx.actor)
        if done is not None:
            ctx.toast(f"Erased: {done.conversations} conversation{'s' if done.conversations != 1 else ''} kept as "
                      f"'Erased customer', {done.messages} messages emptied")
            await then()

    typed.on_submit = confirmed
    page.show_dialog(ft.AlertDialog(
        modal=True, title=ft.Text(f"Erase {name}?"),
        content=ft.Column([
            ft.Text("Their name, addresses and phone numbers, every message and note text, subjects, mails and files "
                    "are erased for good, and their conversation links stop working. The conversations stay as "
                    "'Erased customer' with their times and statuses, so reports do not change."),
            ft.Text(f"This cannot be undone. The nightly backups still hold the data until they rotate out "
                    f"({BACKUP_NIGHTS} nights). Export the data first if the customer asked for a copy.",
                    weight=ft.FontWeight.W_500),
            typed, error], tight=True, width=460, spacing=12),
        actions=[ft.TextButton("Cancel", on_click=lambda e: close_dialog(page)),
                 ft.FilledButton("Erase for good", on_click=confirmed, style=ft.ButtonStyle(bgcolor=ft.Colors.ERROR,
                                                                                          color=ft.Colors.ON_ERROR))]))
    page.update()
