"""Settings → Audit log: who did what, when and from where — sign-ins (and failed ones), second
steps, settings, agents, tokens, channels, exports and erasures; the conversations' own changes
on request. A search, and the list as CSV."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.ui import format as fmt
from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.widgets import sync_value

SHOWN = 200


def describe(detail: dict) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in detail.items() if v not in (None, "", [], {}))[:160]


class AuditSection(Section):
    text = ""
    everything = False

    async def build(self) -> ft.Control:
        services = self.ctx.services
        rows = await self.ctx.read(services.auditlog.recent, self.text, not self.everything, SHOWN)
        now = services.clock.now()
        search = ft.TextField(on_change=sync_value, label="Action or address (e.g. sign_in, erased, 192.168.)",
                              width=360, dense=True, value=self.text, prefix_icon=ft.Icons.SEARCH,
                              on_submit=lambda e: self.ctx.page.run_task(self._search, e.control.value))
        everything = ft.Checkbox(label="Also conversations' changes", value=self.everything,
                                 on_change=lambda e: self.ctx.page.run_task(self._everything, e.control.value))

        async def download(_e: Any) -> None:
            every = await self.ctx.read(services.auditlog.recent, self.text, not self.everything, 5000)
            data = services.auditlog.csv(every).encode("utf-8-sig")  # a spreadsheet reads the accents right
            token = await self.ctx.read(services.downloads.offer, "helpdesk-audit-log.csv", "text/csv",
                                        lambda out: out.write(data))
            await self.ctx.page.launch_url(download_url(self.ctx, token))

        table = ft.DataTable(columns=[ft.DataColumn(ft.Text(h)) for h in ("When", "Who", "What", "From", "Detail")],
                             rows=[ft.DataRow(cells=[
                                 ft.DataCell(ft.Text(fmt.stamp(r.at, now, None))), ft.DataCell(ft.Text(r.actor_name)),
                                 ft.DataCell(ft.Text(r.action + (f" #{r.conversation_id}" if r.conversation_id else ""))),
                                 ft.DataCell(ft.Text(r.address or "—")),
                                 ft.DataCell(ft.Text(describe(r.detail), size=12))]) for r in rows])
        return ft.Column([
            *heading("Audit log", "Every sign-in and failed sign-in, second-step change, admin action, export and "
                                  "erasure, with who, when and from where. Kept two years."),
            ft.Row([search, everything, ft.OutlinedButton("Download CSV", icon=ft.Icons.DOWNLOAD, on_click=download)],
                   wrap=True),
            table if rows else ft.Text("Nothing matches.", italic=True),
            ft.Text(f"The newest {SHOWN} are shown; the CSV has up to 5,000, the API all "
                    "(GET /api/v1/audit).", size=12, color=ft.Colors.ON_SURFACE_VARIANT) if len(rows) == SHOWN
            else ft.Container(),
        ], spacing=12, scroll=ft.ScrollMode.AUTO)

    async def _search(self, text: str) -> None:
        AuditSection.text = text or ""
        await self.rerender()

    async def _everything(self, value: bool) -> None:
        AuditSection.everything = bool(value)
        await self.rerender()


def download_url(ctx: Any, token: str) -> str:
    """Where the browser (or, from the desktop window, the system's) fetches a file: this machine from
    the window, else the shop's LAN address; never a Host header."""
    from helpdesk.services.auth import WINDOW_ADDRESS

    base = f"http://127.0.0.1:{ctx.services.links.port}" if ctx.origin == WINDOW_ADDRESS else \
        ctx.services.links.lan_url()
    return f"{base}/downloads/{token}"
