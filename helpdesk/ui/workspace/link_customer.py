"""Linking two customers who are one person (the one who texted is the one who mailed):
the agent gives the other's email address or phone number, sees who that is, and confirms.
The older customer is kept; every identity and conversation moves to them."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import flet as ft

from helpdesk.models import EMAIL, PHONE
from helpdesk.services.customers import customer_display_name
from helpdesk.ui.context import UiContext
from helpdesk.ui.widgets import close_dialog, sync_value


async def link_customer(ctx: UiContext, customer_id: int, refresh_open: Callable[..., Awaitable[None]]) -> None:
    page = ctx.page
    services = ctx.services
    field = ft.TextField(on_change=sync_value, label="Their email address or phone number", autofocus=True)
    found = ft.Text("", size=13)
    link_button = ft.FilledButton("Link", disabled=True)
    other: dict[str, Any] = {}

    async def look(e: Any) -> None:
        raw = (field.value or "").strip()
        kind = EMAIL if "@" in raw else PHONE
        customer = await ctx.read(services.customers.find_by_identifier, kind, raw) if raw else None
        if customer is None or customer.id == customer_id:
            other.clear()
            found.value = "Nobody else has that address or number." if raw else ""
            found.color, link_button.disabled = ft.Colors.ERROR, True
        else:
            profile = await ctx.read(services.customers.get_profile, customer.id)
            history = await ctx.read(services.customers.history, customer.id, 200)
            other["id"] = customer.id
            identities = ", ".join(v for values in profile.identifiers.values() for v in values)
            found.value = (f"{customer_display_name(profile)} ({identities}), "
                           f"{len(history.conversations)} conversation(s)")
            found.color, link_button.disabled = None, False
        page.update(found, link_button)

    async def link(e: Any) -> None:
        if "id" not in other:
            return
        # The older customer is kept: their links and history stay where everyone knows them.
        source, target = sorted((customer_id, other["id"]), reverse=True)
        close_dialog(page)
        if await ctx.attempt(services.customers.link, source, target, ctx.actor,
                             success="Linked: one customer, one history") is not None:
            await refresh_open()

    field.on_submit = look
    link_button.on_click = link
    page.show_dialog(ft.AlertDialog(
        title=ft.Text("Link to another customer"),
        content=ft.Column([
            ft.Text("When two customers are one person, their identities and conversations become one history. "
                    "Nothing is lost; a note in the conversation records it.", size=12,
                    color=ft.Colors.ON_SURFACE_VARIANT),
            ft.Row([ft.Container(field, expand=True), ft.OutlinedButton("Find", on_click=look)]), found],
            tight=True, width=480),
        actions=[ft.TextButton("Cancel", on_click=lambda e: close_dialog(page)), link_button]))
    page.update()
