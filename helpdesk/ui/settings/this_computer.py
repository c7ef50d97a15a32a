"""Settings › This computer: which version runs and what is new in it, starting Helpdesk at
login (so colleagues and the mail keep working after a restart), and the update check, off
unless an admin turns it on."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk import __version__
from helpdesk.ui import format as fmt
from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.whats_new import show_whats_new
from helpdesk.ui.widgets import sync_value


class ThisComputerSection(Section):

    async def build(self) -> ft.Control:
        release = self.ctx.services.release
        status = await self.ctx.read(release.autostart_status)
        update = await self.ctx.read(release.update_check)
        previous = await self.ctx.read(release.previous_version)
        at_login = ft.Switch(label="Start Helpdesk when I log in to this computer, without its window",
                             value=status.installed)

        async def toggle_login(e: Any) -> None:
            done = await self.ctx.attempt(release.set_autostart, bool(at_login.value), self.ctx.actor)
            if done is not None:
                self.ctx.toast("Helpdesk starts at login from now on." if at_login.value
                               else "Helpdesk no longer starts at login.")
            await self.rerender()

        at_login.on_change = toggle_login
        check = ft.Switch(label="Check for a new version once a day", value=update.enabled)
        url = ft.TextField(on_change=sync_value, label="Release feed address", value=update.url, width=520,
                           dense=True, hint_text="https://…/releases/latest/download/latest.json")

        async def save_check(e: Any) -> None:
            if await self.ctx.attempt(release.set_update_check, bool(check.value), url.value or "", self.ctx.actor,
                                      success="Saved") is not None:
                await self.rerender()

        async def check_now(e: Any) -> None:
            await self.ctx.attempt(release.check_for_update)
            await self.rerender()

        if update.checked_at is None:
            last = "Never asked."
        elif update.error:
            last = f"Last asked {fmt.ago(update.checked_at, self.ctx.services.clock.now())}: {update.error}"
        elif update.newer:
            last = f"Helpdesk {update.latest} is available: {update.download or update.url}"
        else:
            last = f"Up to date (asked {fmt.ago(update.checked_at, self.ctx.services.clock.now())})."
        return ft.Column([
            *heading("This computer", f"Helpdesk {__version__}"
                     + (f", upgraded from {previous}" if previous else "")
                     + f". Its data: {self.ctx.settings.data_dir}"),
            ft.TextButton("What's new", icon=ft.Icons.NEW_RELEASES_OUTLINED,
                          on_click=lambda e: show_whats_new(self.ctx.page, None)),
            ft.Text("Starting at login", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Text("Colleagues' browsers, the phone and the mailboxes need Helpdesk running. Started at login it "
                    "runs without a window; opening Helpdesk then shows the window of the one that runs.",
                    size=13, color=ft.Colors.ON_SURFACE_VARIANT),
            at_login, ft.Text(status.describe(), size=12, selectable=True),
            ft.Text("Updates", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Text("Helpdesk never needs the internet. When this is on, it asks the address below once a day for "
                    "the newest version's number and says so here; nothing about the shop is sent, and nothing "
                    "is installed by itself.", size=13, color=ft.Colors.ON_SURFACE_VARIANT),
            check, url,
            ft.Row([ft.FilledButton("Save", on_click=save_check),
                    ft.OutlinedButton("Ask now", icon=ft.Icons.REFRESH, on_click=check_now, disabled=not update.enabled)]),
            ft.Text(last, size=12, selectable=True,
                    color=ft.Colors.ERROR if update.error else ft.Colors.PRIMARY if update.newer else None),
        ], spacing=12, scroll=ft.ScrollMode.AUTO)
