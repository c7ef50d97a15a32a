"""Settings › Connect a device: the addresses (and QR codes) colleagues open on the LAN:
helpdesk.local (announced by mDNS) and each IP address, since Android phones resolve
`.local` names unreliably."""

from __future__ import annotations

import flet as ft

from helpdesk.host.lan_announce import wanted
from helpdesk.host.netinfo import lan_urls
from helpdesk.ui.qr import qr_png
from helpdesk.ui.settings.common import Section, heading


class DevicesSection(Section):

    async def build(self) -> ft.Control:
        port = self.ctx.settings.port
        urls = lan_urls(port) if self.ctx.settings.host in ("0.0.0.0", "::") else []
        if urls and wanted(self.ctx.settings):
            urls.insert(0, f"http://helpdesk.local:{port}/")
        public = self.ctx.services.links.public_url()
        if public:
            urls.insert(0, public + "/")
        cards: list[ft.Control] = []
        for url in urls:
            cards.append(ft.Card(content=ft.Container(padding=16, content=ft.Row([
                ft.Image(src=qr_png(url), width=180, height=180, semantics_label=f"QR code for {url}"),
                ft.Column([ft.Text(url, theme_style=ft.TextThemeStyle.TITLE_LARGE, selectable=True),
                           ft.Text("Open this address in a browser on a phone, tablet or laptop on the same "
                                   "network, or scan the code." + (
                                       " The name works on computers and iPhones; on an Android phone use an "
                                       "address with numbers below." if "helpdesk.local" in url else ""),
                                   width=360),
                           ft.TextButton("Copy address", icon=ft.Icons.COPY, on_click=lambda e, u=url: self.ctx.page.run_task(
                               ft.Clipboard().set, u))], spacing=8),
            ], spacing=24))))
        if not urls:
            cards.append(ft.Text(f"Helpdesk listens only on {self.ctx.settings.host}. Start it with "
                                 "--host 0.0.0.0 to let other devices connect.", italic=True))
        return ft.Column([
            *heading("Connect another device",
                           "Colleagues sign in from their own browser with their own account; everyone sees the "
                           "same inbox, live. The first time, the computer's firewall may ask to allow Helpdesk."),
            *cards,
        ], spacing=16, scroll=ft.ScrollMode.AUTO)
