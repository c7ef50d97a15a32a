"""Settings › Privacy: how long resolved conversations are kept (off by default; a dry-run count
before it is switched on), and the blocklist: senders whose messages go straight to Spam."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.services.privacy.erase import BACKUP_NIGHTS
from helpdesk.ui import format as fmt
from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.widgets import sync_value

KIND_WORDS = {"email": "Email address", "domain": "Email domain", "phone": "Phone number",
              "telegram": "Telegram account", "visitor": "Website visitor"}


class PrivacySection(Section):

    async def build(self) -> ft.Control:
        services = self.ctx.services
        months = await self.ctx.read(services.privacy.retention_months)
        blocked = await self.ctx.read(services.blocklist.entries)
        now = services.clock.now()
        field = ft.TextField(on_change=sync_value, label="Months", width=120, dense=True,
                             value=str(months) if months else "", keyboard_type=ft.KeyboardType.NUMBER)
        self.preview = ft.Text("", size=13)

        async def count(_e: Any) -> None:
            wanted = self._months(field.value)
            if wanted is None:
                return
            total, _ = await self.ctx.read(services.privacy.due_for_retention, wanted)
            self.preview.value = (f"{total} resolved conversation{'s' if total != 1 else ''} would be erased now, and "
                                  "more each day as others pass the limit." if total else
                                  "Nothing would be erased now.")
            self.ctx.page.update()

        async def save(_e: Any) -> None:
            wanted = self._months(field.value) if (field.value or "").strip() else None
            if (field.value or "").strip() and wanted is None:
                return
            if wanted:
                total, _ = await self.ctx.read(services.privacy.due_for_retention, wanted)
                if not await self.ctx.confirm(
                        "Erase old conversations every night?",
                        f"Each night, conversations resolved more than {wanted} months ago are erased as a customer's "
                        f"data is: their words, files and names, for good ({total} now). Backups keep them until "
                        f"they rotate out ({BACKUP_NIGHTS} nights).", "Switch on", "Cancel"):
                    return
            if await self.ctx.attempt(services.privacy.set_retention, wanted, self.ctx.actor,
                                      success="Retention switched off" if not wanted else
                                      f"Conversations resolved over {wanted} months ago are erased each night") \
                    is not None:
                await self.rerender()

        rows = [ft.DataRow(cells=[
            ft.DataCell(ft.Text(KIND_WORDS.get(b.kind, b.kind))), ft.DataCell(ft.Text(b.value, selectable=True)),
            ft.DataCell(ft.Text(f"{b.created_by}, {fmt.ago(b.created_at, now)}")),
            ft.DataCell(ft.TextButton("Unblock", on_click=lambda e, b=b: self.ctx.page.run_task(self._unblock, b)))])
            for b in blocked]
        kind = ft.Dropdown(label="Kind", width=190, dense=True, value="email",
                           options=[ft.DropdownOption(key=k, text=v) for k, v in KIND_WORDS.items() if k != "visitor"])
        value = ft.TextField(on_change=sync_value, label="Sender to block", hint_text="ann@example.com, +4930…",
                             width=300, dense=True)

        async def block(_e: Any) -> None:
            if await self.ctx.attempt(services.blocklist.block, kind.value or "email", value.value or "",
                                      self.ctx.actor, success="Blocked") is not None:
                await self.rerender()

        return ft.Column([
            *heading("Privacy", "What Helpdesk keeps, and for how long (docs/privacy.md). A customer's own data is "
                                "exported or erased from their panel in the inbox."),
            ft.Text("Retention", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Text("Erase conversations resolved more than this many months ago (empty: keep them, the default). "
                    "Erased conversations stay in reports as counts and times, without words, files or names.",
                    size=12, color=ft.Colors.ON_SURFACE_VARIANT),
            ft.Row([field, ft.OutlinedButton("Count what would go", on_click=count),
                    ft.FilledButton("Save", on_click=save)]), self.preview,
            ft.Text("Spam is erased 30 days after it was marked; the audit log keeps two years.", size=12,
                    color=ft.Colors.ON_SURFACE_VARIANT),
            ft.Text("Blocked senders", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Text("Their messages go straight to Spam: kept 30 days, never answered, never notified. Agents block "
                    "from a conversation (Mark as spam).", size=12, color=ft.Colors.ON_SURFACE_VARIANT),
            ft.DataTable(columns=[ft.DataColumn(ft.Text(h)) for h in ("Kind", "Sender", "Blocked by", "")], rows=rows)
            if rows else ft.Text("Nobody is blocked.", italic=True),
            ft.Row([kind, value, ft.FilledButton("Block", on_click=block)], wrap=True),
        ], spacing=12, scroll=ft.ScrollMode.AUTO)

    def _months(self, text: str | None) -> int | None:
        try:
            months = int((text or "").strip())
        except ValueError:
            months = 0
        if not 1 <= months <= 240:
            self.ctx.toast("Give a number of months from 1 to 240, or leave it empty to keep everything.", error=True)
            return None
        return months

    async def _unblock(self, entry: Any) -> None:
        if await self.ctx.attempt(self.ctx.services.blocklist.unblock, entry.id, self.ctx.actor,
                                  success=f"{entry.value} unblocked") is not None:
            await self.rerender()
