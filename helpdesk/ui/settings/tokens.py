"""Settings → API tokens: what integrations authenticate with; shown once, revocable."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.widgets import sync_value


class TokensSection(Section):

    async def build(self) -> ft.Control:
        tokens = await self.ctx.read(self.ctx.services.tokens.list)
        rows = [ft.DataRow(cells=[
            ft.DataCell(ft.Text(t.name)), ft.DataCell(ft.Text(t.prefix + "…")),
            ft.DataCell(ft.Text(f"{t.created_at:%Y-%m-%d}")),
            ft.DataCell(ft.Text(f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never")),
            ft.DataCell(ft.Text("revoked" if t.revoked_at else "active")),
            ft.DataCell(ft.TextButton("Revoke", on_click=lambda e, t=t: self.ctx.page.run_task(self._revoke, t))
                        if not t.revoked_at else ft.Text("")),
        ]) for t in tokens]
        name = ft.TextField(on_change=sync_value, label="What is it for? (e.g. website)", width=300, dense=True)

        async def create(e: Any) -> None:
            created = await self.ctx.attempt(self.ctx.services.tokens.create, name.value or "", actor=self.ctx.actor)
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
                    ft.FilledButton("Done", on_click=lambda e: self.ctx.page.pop_dialog())]))
            self.ctx.page.update()

        return ft.Column([
            *heading("API tokens", "Integrations (your website, an SMS gateway, scripts) post customer "
                                         "messages to /api/v1/messages with one of these."),
            ft.DataTable(columns=[ft.DataColumn(ft.Text(h)) for h in ("Name", "Token", "Created", "Last used",
                                                                      "Status", "")], rows=rows)
            if rows else ft.Text("No tokens yet.", italic=True),
            ft.Row([name, ft.FilledButton("Create token", on_click=create)]),
        ], spacing=16, scroll=ft.ScrollMode.AUTO)

    async def _revoke(self, token: Any) -> None:
        if await self.ctx.attempt(self.ctx.services.tokens.revoke, token.id, actor=self.ctx.actor,
                                  success=f"Token {token.name} revoked") is not None:
            await self.rerender()
