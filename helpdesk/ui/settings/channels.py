"""Settings → Channels: the shop's phone (SMS Gateway for Android on the LAN), Telegram bots
and Twilio numbers (SMS and WhatsApp). Add, pause, remove, test; how each is doing (last
contact, last error, replies waiting); and what each needs from the shop's network."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.channels.texts import check
from helpdesk.services.messaging.config import ChannelView, callback_url, webhook_path
from helpdesk.ui import format as fmt
from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.widgets import sync_value

KIND_LABELS = {"sms-gateway": "SMS phone", "telegram": "Telegram bot", "twilio": "Twilio (SMS, WhatsApp)",
               "website": "Website chat"}
WEBSITE_HELP = ("A chat button on your website: name the site (or sites) that will show it, then paste the line "
                "Helpdesk gives you into every page. Visitors write at once; they come back to the same "
                "conversation later, and hear back by email when they leave an address.")
PHONE_HELP = ("Install SMS Gateway for Android on a phone with a SIM card, turn on its Local Server, and enter "
              "the address it shows, with its password: http://sms:PASSWORD@192.168.1.50:8080. Helpdesk registers "
              "its own webhooks with the phone. The app sends webhooks only over HTTPS to LAN addresses: use its "
              "\"insecure\" build from the project's releases, or put Helpdesk behind a certificate the phone trusts "
              "and give that address as the callback. Texts still go out, and their delivery is still read from "
              "the phone, without webhooks; only incoming texts need them.")
TELEGRAM_HELP = ("Create a bot with @BotFather and paste its token. Helpdesk asks Telegram for new messages itself "
                 "(long polling): no public address is needed.")
TWILIO_HELP = ("Needs a public address (HELPDESK_PUBLIC_URL): Twilio calls Helpdesk there, and every request is "
               "checked against Twilio's signature. Set the number's incoming-message webhook to the address below.")


class ChannelsSection(Section):

    async def build(self) -> ft.Control:
        messaging = self.ctx.services.messaging
        views = await self.ctx.read(messaging.channels.views)
        now = self.ctx.services.clock.now()
        add = ft.PopupMenuButton(
            content=ft.FilledButton("Add a channel", icon=ft.Icons.ADD),
            items=[ft.PopupMenuItem(content=ft.Text(label),
                                    on_click=lambda e, k=kind: self.ctx.page.run_task(self._add, k))
                   for kind, label in KIND_LABELS.items()])
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

    async def _card(self, v: ChannelView, now) -> ft.Control:  # type: ignore[no-untyped-def]
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
                                  "(Settings → Customer page)",
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
            ft.Row([ft.Text(f"{v.name} · {KIND_LABELS.get(v.kind, v.kind)}", weight=ft.FontWeight.BOLD, expand=True),
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
        def field(label: str, password: bool = False, hint: str = "") -> ft.TextField:
            return ft.TextField(on_change=sync_value, label=label, password=password, can_reveal_password=password,
                                hint_text=hint or None)

        fields = {"name": field("Name (e.g. Phone)")}
        if kind == "sms-gateway":
            fields |= {"url": field("Phone's local server", password=True, hint="http://sms:PASSWORD@192.168.1.50:8080"),
                       "signing_key": field("Webhook signing key (optional, recommended)", password=True),
                       "callback_url": field("Address the phone reaches Helpdesk by (optional)",
                                             hint="https://helpdesk.shop.lan:8443 (default: this PC's LAN address)")}
            return fields, PHONE_HELP
        if kind == "telegram":
            fields["token"] = field("Bot token", password=True, hint="123456:ABC…")
            return fields, TELEGRAM_HELP
        if kind == "website":
            fields["origins"] = field("Your site's address (several: one per line)", hint="https://myshop.com")
            fields["origins"].multiline = True
            return fields, WEBSITE_HELP
        fields |= {"account_sid": field("Account SID", hint="AC…"), "auth_token": field("Auth token", password=True),
                   "from": field("Send from", hint="+15550100 (or whatsapp:+15550100)"),
                   "whatsapp_from": field("WhatsApp sender (optional)", hint="+15550100")}
        return fields, TWILIO_HELP

    async def _add(self, kind: str) -> None:
        fields, help_text = self._form(kind)
        channels = self.ctx.services.messaging.channels

        async def save(e: Any) -> None:
            given: dict[str, Any] = {k: (f.value or "").strip() for k, f in fields.items()
                                     if k != "name" and (f.value or "").strip()}
            if "origins" in given:
                given["origins"] = [o.strip() for o in str(given["origins"]).replace(",", "\n").splitlines()
                                    if o.strip()]
            saved = await self.ctx.attempt(channels.add, kind, fields["name"].value or "", given, self.ctx.actor)
            if saved is not None:
                self.ctx.page.pop_dialog()
                self.ctx.toast(f"{saved.name} added: Helpdesk starts using it within seconds")
                await self.rerender()

        self.ctx.page.show_dialog(ft.AlertDialog(
            title=ft.Text(f"Add a {KIND_LABELS[kind]}"),
            content=ft.Column([ft.Text(help_text, size=12, color=ft.Colors.ON_SURFACE_VARIANT), *fields.values()],
                              tight=True, width=560, scroll=ft.ScrollMode.AUTO),
            actions=[ft.TextButton("Cancel", on_click=lambda e: self.ctx.page.pop_dialog()),
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
