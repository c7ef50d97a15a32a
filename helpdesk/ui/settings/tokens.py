"""Settings › API tokens: what integrations and bots authenticate with: their scopes, last
use, revoking; which bot answers a channel first; and when bots hand over to people."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.services.base import SCOPES
from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.widgets import close_dialog, sync_value

SCOPE_HELP = {"intake": "post customer messages", "verify": "vouch for signed-in customers (their thread's link comes back)", "read": "read conversations, files, reports and events",
              "reply": "answer, note, change and hand over (a bot)", "admin": "act as an admin"}
CHANNELS = ("api", "web", "email", "sms", "telegram", "whatsapp")


class TokensSection(Section):
    async def build(self) -> ft.Control:
        services = self.ctx.services
        tokens, (words, silence) = await self.ctx.read(
            lambda: (services.tokens.list(), services.conversations.handoff_settings()))
        rows = [ft.DataRow(cells=[
            ft.DataCell(ft.Text(t.name)), ft.DataCell(self._display_name(t) if "reply" in t.scopes and not t.revoked_at
                                                      else ft.Text(t.display_name or "—")),
            ft.DataCell(ft.Text(t.prefix + "…")),
            ft.DataCell(ft.Text(t.scopes.replace(",", ", "))),
            ft.DataCell(self._responder(t) if "reply" in t.scopes and not t.revoked_at else ft.Text("—")),
            ft.DataCell(ft.Text(f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never")),
            ft.DataCell(ft.Text("revoked" if t.revoked_at else "active")),
            ft.DataCell(ft.TextButton("Revoke", on_click=lambda e, t=t: self.ctx.page.run_task(self._revoke, t))
                        if not t.revoked_at else ft.Text("")),
        ]) for t in tokens]
        name = ft.TextField(on_change=sync_value, label="What is it for? (e.g. website)", width=320, dense=True)
        shown = ft.TextField(on_change=sync_value, label="Name customers see (a bot's)", width=320,
                             dense=True, hint_text="e.g. Larsen Bikes assistant; empty: the team's name")
        scopes = {s: ft.Checkbox(label=s, value=s in ("intake", "read"), tooltip=SCOPE_HELP[s]) for s in SCOPES}

        async def create(e: Any) -> None:
            created = await self.ctx.attempt(services.tokens.create, name.value or "", actor=self.ctx.actor,
                                             scopes=[s for s, box in scopes.items() if box.value],
                                             display_name=shown.value or "")
            if created is None:
                return
            await self.rerender()
            self.ctx.page.show_dialog(ft.AlertDialog(
                title=ft.Text(f"Token for {created.token.name}"),
                content=ft.Column([
                    ft.Text("Copy it now: it is shown only once."),
                    ft.TextField(value=created.plaintext, read_only=True, label="API token"),
                    ft.Text("Send it as: Authorization: Bearer <token>", size=12, color=ft.Colors.ON_SURFACE_VARIANT),
                ], tight=True),
                actions=[ft.TextButton("Copy", on_click=lambda e: self.ctx.page.run_task(
                    ft.Clipboard().set, created.plaintext)),
                    ft.FilledButton("Done", on_click=lambda e: close_dialog(self.ctx.page))]))
            self.ctx.page.update()

        words_field = ft.TextField(on_change=sync_value, value=", ".join(words), dense=True, width=420,
                                   label="Words that ask for a person (comma separated)")
        silence_field = ft.TextField(on_change=sync_value, value=str(silence), dense=True, width=220,
                                     label="Hand over after (minutes waiting)", keyboard_type=ft.KeyboardType.NUMBER)

        async def save_handoff(e: Any) -> None:
            try:
                minutes = int(silence_field.value or "0")
            except ValueError:
                self.ctx.toast("The minutes are a whole number.", error=True)
                return
            await self.ctx.attempt(services.conversations.set_handoff_settings,
                                   (words_field.value or "").split(","), minutes, self.ctx.actor,
                                   success="Saved: bots hand over on these words, or after that long")

        return ft.Column([
            *heading("API tokens", "Integrations (your website, an SMS gateway, scripts) and bots use these. "
                                   "Each does only what its scopes allow."),
            ft.DataTable(columns=[ft.DataColumn(ft.Text(h)) for h in ("Name", "Customers see", "Token", "Scopes",
                                                                      "Answers first",
                                                                      "Last used", "Status", "")], rows=rows,
                         data_row_max_height=80)
            if rows else ft.Text("No tokens yet.", italic=True),
            ft.Text("Create a token", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Row([name, shown], wrap=True),
            ft.Row([ft.Text("May:", weight=ft.FontWeight.W_500), *scopes.values()], spacing=4),
            ft.FilledButton("Create token", on_click=create),
            ft.Divider(),
            ft.Text("Bots first, then people", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Text("A bot token (scope reply) can answer a channel's new conversations before people; they wait "
                    "under Bot in the inbox, with response-time clocks stopped. The bot hands over when it says so, "
                    "when the customer asks for a person, when it leaves them waiting too long, or when an agent "
                    "answers.", color=ft.Colors.ON_SURFACE_VARIANT),
            ft.Row([words_field, silence_field, ft.FilledButton("Save", on_click=save_handoff)], wrap=True),
        ], spacing=16, scroll=ft.ScrollMode.AUTO)

    def _responder(self, token: Any) -> ft.Control:
        async def chosen(e: Any) -> None:
            channel = e.control.value or None
            await self.ctx.attempt(self.ctx.services.tokens.set_first_responder, token.id,
                                   None if channel == "-" else channel, actor=self.ctx.actor,
                                   success=f"{token.name} answers {channel} first" if channel != "-" else
                                   f"{token.name} no longer answers first")
            await self.rerender()

        return ft.Dropdown(value=token.first_responder or "-", dense=True, width=130, on_select=chosen,
                           options=[ft.DropdownOption(key="-", text="no channel")] +
                                   [ft.DropdownOption(key=c, text=c) for c in CHANNELS])

    def _display_name(self, token: Any) -> ft.Control:
        async def saved(e: Any) -> None:
            await self.ctx.attempt(self.ctx.services.tokens.set_display_name, token.id, e.control.value or "",
                                   actor=self.ctx.actor, success="Saved: customers see this name on its replies")

        return ft.TextField(value=token.display_name, dense=True, width=180, on_change=sync_value, on_blur=saved,
                            on_submit=saved, hint_text="the team's name", tooltip="Who customers see writing its replies")

    async def _revoke(self, token: Any) -> None:
        if await self.ctx.attempt(self.ctx.services.tokens.revoke, token.id, actor=self.ctx.actor,
                                  success=f"Token {token.name} revoked") is not None:
            await self.rerender()
