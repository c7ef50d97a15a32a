"""Settings › Channels: the shop's phone (SMS Gateway for Android on the LAN), Telegram bots
and Twilio numbers (SMS and WhatsApp). Add, pause, remove, test; how each is doing (last
contact, last error, replies waiting); and what each needs from the shop's network."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.channels.texts import check
from helpdesk.services.channel_kinds import REGISTRY
from helpdesk.services.messaging.config import ChannelView, callback_url, webhook_path
from helpdesk.ui import format as fmt
from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.widgets import close_dialog, sync_value


class ChannelsSection(Section):

    async def build(self) -> ft.Control:
        messaging = self.ctx.services.messaging
        views = await self.ctx.read(messaging.channels.views)
        now = self.ctx.services.clock.now()
        # Looks like a filled button but is not one: a button inside would take the click itself
        # and the menu would never open.
        add = ft.PopupMenuButton(
            content=ft.Container(
                ft.Row([ft.Icon(ft.Icons.ADD, color=ft.Colors.ON_PRIMARY, size=18),
                        ft.Text("Add a channel", color=ft.Colors.ON_PRIMARY, weight=ft.FontWeight.W_500)],
                       tight=True, spacing=8),
                bgcolor=ft.Colors.PRIMARY, border_radius=20, padding=ft.Padding(16, 10, 24, 10)),
            tooltip="Add a channel",
            items=[ft.PopupMenuItem(content=ft.Text(label),
                                    on_click=lambda e, k=kind: self.ctx.page.run_task(self._add, k))
                   for kind, label in ((k.name, k.label) for k in REGISTRY.values())])
        return ft.Column([
            *heading("Channels", "Texts and messaging apps become conversations beside mail and the website. "
                                 "A customer's reply goes back the way they wrote, or another way they have."),
            *[await self._card(v, now) for v in views],
            ft.Row([add]),
        ], spacing=12, scroll=ft.ScrollMode.AUTO)

    def _address(self, v: ChannelView) -> str:
        links = self.ctx.services.links
        if v.kind == "twilio":
            return (links.public_url() or "https://YOUR-PUBLIC-ADDRESS") + webhook_path(v.kind, v.name)
        return ""

    async def _website(self, v: ChannelView) -> list[ft.Control]:
        """The line to paste, and the counter poster for scan-to-chat on the shop's Wi-Fi."""
        from helpdesk.ui.workspace.attachments import page_base

        chat = self.ctx.services.chat
        channel = await self.ctx.read(self.ctx.services.messaging.channels.get, v.id)
        snippet = chat.snippet(channel)
        poster = page_base(self.ctx.page) + f"/chat/poster.png?site={channel.config.get('key', '')}"
        return [ft.Text("Paste into every page of your site, before </body>:", size=12),
                ft.Container(ft.Text(snippet, size=12, selectable=True, font_family="monospace"), padding=8,
                             bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST, border_radius=8),
                ft.Row([ft.TextButton("Copy the line", icon=ft.Icons.COPY,
                                      on_click=lambda e: self.ctx.page.run_task(ft.Clipboard().set, snippet)),
                        ft.TextButton("Poster for the counter (QR code)", icon=ft.Icons.QR_CODE_2, url=poster)],
                       wrap=True),
                ft.Text(f"The chat as a page: {chat.page_url(channel)}", size=12, selectable=True,
                        color=ft.Colors.ON_SURFACE_VARIANT),
                ft.Text(chat.who_reaches(), size=12,
                        color=ft.Colors.ON_SURFACE_VARIANT if self.ctx.services.links.public_url() else ft.Colors.ERROR)]

    async def _card(self, v: ChannelView, now) -> ft.Control:
        contact = f"Last contact {fmt.ago(v.last_contact_at, now)}" if v.last_contact_at else "No contact yet"
        status: list[ft.Control] = [ft.Text(f"{contact} · {v.waiting} repl{'y' if v.waiting == 1 else 'ies'} "
                                            "waiting to be sent", size=12)]
        if v.last_error:
            status.append(ft.Text(v.last_error, size=12, color=ft.Colors.ERROR, selectable=True))
        address = self._address(v)
        if v.kind == "sms-gateway":
            channel = await self.ctx.read(self.ctx.services.messaging.channels.get, v.id)
            address = callback_url(channel, self.ctx.services.links.lan_url())
            heard = f"Last webhook from the phone {fmt.ago(v.last_webhook_at, now)}" if v.last_webhook_at \
                else "No webhook from the phone yet: incoming texts need one (Test checks the way)"
            status.append(ft.Text(heard, size=12, color=None if v.last_webhook_at else ft.Colors.ERROR))
            if not v.summary.endswith(", signed"):
                status.append(ft.Text("No signing key: texts are taken only from the shop's network" +
                                      (", never through the public address" if self.ctx.services.links.public_url()
                                       else "") + ". Set the app's webhook signing key to be safe.",
                                      size=12, color=ft.Colors.ERROR))
        if address:
            status.append(ft.Text(f"Webhook: {address}", size=12, selectable=True, color=ft.Colors.ON_SURFACE_VARIANT))
        if v.kind == "website":
            status += await self._website(v)
        if v.kind == "twilio" and not self.ctx.services.links.public_url():
            status.append(ft.Text("Twilio cannot reach Helpdesk yet: set the address customers use "
                                  "(Settings › Customer page)",
                                  size=12, color=ft.Colors.ERROR))
        result = ft.Text("", size=12)

        async def test(e: Any) -> None:
            result.value, result.color = "Testing…", None
            self.ctx.page.update(result)
            channel = await self.ctx.read(self.ctx.services.messaging.channels.get, v.id)
            problem = await self.ctx.read(check, self.ctx.services, channel)
            result.value = problem or "It answers"
            result.color = ft.Colors.ERROR if problem else ft.Colors.PRIMARY
            self.ctx.page.update(result)

        return ft.Card(content=ft.Container(padding=16, content=ft.Column([
            ft.Row([ft.Text(f"{v.name} · {REGISTRY[v.kind].label if v.kind in REGISTRY else v.kind}",
                            weight=ft.FontWeight.BOLD, expand=True),
                    ft.Text("active" if v.active else "paused",
                            color=ft.Colors.PRIMARY if v.active else ft.Colors.OUTLINE)]),
            ft.Text(v.summary, size=12, selectable=True, color=ft.Colors.ON_SURFACE_VARIANT),
            *status,
            ft.Row([ft.TextButton("Test", icon=ft.Icons.NETWORK_CHECK, on_click=test),
                    ft.TextButton("Pause" if v.active else "Resume",
                                  on_click=lambda e: self.ctx.page.run_task(self._toggle, v)),
                    ft.TextButton("Remove", icon=ft.Icons.DELETE_OUTLINE,
                                  on_click=lambda e: self.ctx.page.run_task(self._remove, v))], wrap=True),
            result,
        ], spacing=6)))

    @staticmethod
    def _form(kind: str) -> tuple[dict[str, ft.TextField], str]:
        """The kind's settings as fields (services/channel_kinds/), with its explanation."""
        fields = {"name": ft.TextField(on_change=sync_value, label="Name (e.g. Phone)")}
        for setting in REGISTRY[kind].settings:
            if setting.label:  # those without one are for tests and proxies (the command line)
                fields[setting.name] = ft.TextField(
                    on_change=sync_value, label=setting.label, password=setting.secret,
                    can_reveal_password=setting.secret, hint_text=setting.hint or None, multiline=setting.many)
        return fields, REGISTRY[kind].form_help

    async def _add(self, kind: str) -> None:
        fields, help_text = self._form(kind)
        channels = self.ctx.services.messaging.channels

        async def save(e: Any) -> None:
            given: dict[str, Any] = {k: (f.value or "").strip() for k, f in fields.items()
                                     if k != "name" and (f.value or "").strip()}
            for setting in REGISTRY[kind].settings:
                if setting.many and setting.name in given:  # one a line (or comma-separated)
                    given[setting.name] = [v.strip() for v in str(given[setting.name]).replace(",", "\n").splitlines()
                                           if v.strip()]
            saved = await self.ctx.attempt(channels.add, kind, fields["name"].value or "", given, self.ctx.actor)
            if saved is not None:
                close_dialog(self.ctx.page)
                self.ctx.toast(f"{saved.name} added: Helpdesk starts using it within seconds")
                await self.rerender()

        self.ctx.page.show_dialog(ft.AlertDialog(
            title=ft.Text(f"Add a {REGISTRY[kind].label}"),
            content=ft.Column([ft.Text(help_text, size=12, color=ft.Colors.ON_SURFACE_VARIANT), *fields.values()],
                              tight=True, width=560, scroll=ft.ScrollMode.AUTO),
            actions=[ft.TextButton("Cancel", on_click=lambda e: close_dialog(self.ctx.page)),
                     ft.FilledButton("Save", on_click=save)]))
        self.ctx.page.update()

    async def _toggle(self, v: ChannelView) -> None:
        if await self.ctx.attempt(self.ctx.services.messaging.channels.update, v.id, {}, self.ctx.actor,
                                  not v.active) is not None:
            await self.rerender()

    async def _remove(self, v: ChannelView) -> None:
        if not await self.ctx.confirm(f"Remove {v.name}?", "Messages stop coming in this way; the conversations "
                                      "stay, and replies waiting for it wait for another channel that can send them.",
                                      "Remove", "Keep it"):
            return
        if await self.ctx.attempt(self.ctx.services.messaging.channels.remove, v.id, self.ctx.actor) is not None:
            await self.rerender()
