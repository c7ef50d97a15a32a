"""Settings › Customer page: the name customers see on their conversation page (beside the
team's hours and the reply time it promises, from Response targets), and the address
customers use (the public address every link is built from)."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.ui.app_paths import UPLOADS
from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.uploads import PendingFiles
from helpdesk.ui.widgets import sync_value


class CustomerPageSection(Section):

    def _logo_bytes(self) -> bytes | None:
        found = self.ctx.services.promise.logo()
        return found[0] if found else None

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

        logo_image = ft.Image(src=await self.ctx.read(self._logo_bytes), height=48, visible=False)
        logo_image.visible = logo_image.src is not None

        async def logo_uploaded() -> None:
            taken = self.files.take()
            if not taken:
                return
            data = await self.ctx.read(lambda: self.ctx.services.files.path_of(taken[0].sha256).read_bytes())
            if await self.ctx.attempt(promise.set_logo, data, self.ctx.actor, success="Logo saved") is not None:
                await self.rerender()

        async def remove_logo(e: Any) -> None:
            if await self.ctx.attempt(promise.set_logo, b"", self.ctx.actor, success="Logo removed") is not None:
                await self.rerender()

        self.files = PendingFiles(self.ctx.page, self.ctx.services, self.ctx.settings.data_dir / UPLOADS,
                                  lambda: self.ctx.page.run_task(logo_uploaded), self.ctx.toast, self.ctx.read)
        return ft.Column([
            *heading("Customer page", "What customers see on their conversation page: who answers, whether you "
                                      "are in (your business hours in Response targets), and by when they can "
                                      "expect an answer, in your time zone."),
            ft.Row([name, ft.FilledButton("Save", on_click=save)]),
            ft.Row([logo_image, ft.OutlinedButton("Choose a logo…", icon=ft.Icons.IMAGE_OUTLINED,
                                                  on_click=lambda e: self.ctx.page.run_task(self.files.pick)),
                    ft.TextButton("Remove the logo", on_click=remove_logo, visible=logo_image.visible)]),
            ft.Text("PNG, JPEG or WebP, at most 200 KB; shown beside the name on customers' pages and in the chat.",
                    color=ft.Colors.ON_SURFACE_VARIANT, size=12),
            ft.Row([address, ft.FilledButton("Save", on_click=save_address, disabled=from_env)]),
            ft.Text("Every link customers get (their conversation page, mails, the chat line for your site, "
                    "QR codes) uses this address. Put a reverse proxy or a tunnel in front of Helpdesk there; "
                    "through it, customers reach only their side: the agent screens answer 404 "
                    "(docs/public-address.md).", color=ft.Colors.ON_SURFACE_VARIANT, size=12),
            ft.Text("For example: “Larsen Bikes · In now, until 17:00 today (CET)” and “We usually reply within "
                    "2 business hours — by 15:30 today (CET).”", color=ft.Colors.ON_SURFACE_VARIANT, size=12),
        ], spacing=12, scroll=ft.ScrollMode.AUTO)
