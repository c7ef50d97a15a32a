"""Settings → Customer page: the name customers see on their conversation page (beside the
team's hours and the reply time it promises, from Response targets), and the address
customers use (the public address every link is built from)."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.widgets import sync_value


class CustomerPageSection(Section):

    async def build(self) -> ft.Control:
        promise = self.ctx.services.promise
        name = ft.TextField(on_change=sync_value, label="Team name customers see", width=360,
                            value=await self.ctx.read(promise.team_name))

        async def save(e: Any) -> None:
            await self.ctx.attempt(promise.set_team_name, name.value or "", self.ctx.actor, success="Saved")

        links = self.ctx.services.links
        from_env = bool(self.ctx.settings.public_url)
        address = ft.TextField(on_change=sync_value, label="Address customers use", width=360,
                               value=links.public_url() or "", hint_text="https://help.myshop.com",
                               disabled=from_env,
                               helper="Set by HELPDESK_PUBLIC_URL" if from_env else
                               f"Empty: the LAN address ({links.lan_url()})")

        async def save_address(e: Any) -> None:
            if await self.ctx.attempt(promise.set_public_url, address.value or "", self.ctx.actor,
                                      success="Saved: links, mails and the chat use it now") is not None:
                await self.rerender()

        return ft.Column([
            *heading("Customer page", "What customers see on their conversation page: who answers, whether you "
                                      "are in (your business hours in Response targets), and by when they can "
                                      "expect an answer, in your time zone."),
            ft.Row([name, ft.FilledButton("Save", on_click=save)]),
            ft.Row([address, ft.FilledButton("Save", on_click=save_address, disabled=from_env)]),
            ft.Text("Every link customers get (their conversation page, mails, the chat line for your site, "
                    "QR codes) uses this address. Put a reverse proxy or a tunnel in front of Helpdesk there; "
                    "through it, customers reach only their side: the agent screens answer 404 "
                    "(docs/public-address.md).", color=ft.Colors.ON_SURFACE_VARIANT, size=12),
            ft.Text("For example: “Larsen Bikes · In now, until 17:00 today (CET)” and “We usually reply within "
                    "2 business hours — by 15:30 today (CET).”", color=ft.Colors.ON_SURFACE_VARIANT, size=12),
        ], spacing=12, scroll=ft.ScrollMode.AUTO)
