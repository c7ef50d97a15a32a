"""Settings → Agents: everyone who works in the inbox; admins add, deactivate and reset passwords, and say
who is away from automatic assignment outside business hours."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.services.automation.assign import availability_words
from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.widgets import sync_value


class AgentsSection(Section):

    async def build(self) -> ft.Control:
        agents = await self.ctx.read(self.ctx.services.agents.list)
        shop = await self.ctx.read(lambda: self.ctx.services.sla.rules().calendar)
        now = self.ctx.services.clock.now()
        rows = []
        for a in agents:
            actions: list[ft.Control] = [ft.TextButton("Reset password", on_click=lambda e, a=a: self.ctx.page.run_task(
                self._reset_password, a))]
            if a.id != self.ctx.actor.id:
                actions.append(ft.TextButton("Deactivate" if a.active else "Activate",
                                             on_click=lambda e, a=a: self.ctx.page.run_task(self._toggle, a)))
            rows.append(ft.DataRow(cells=[
                ft.DataCell(ft.Text(a.name)), ft.DataCell(ft.Text(a.email)), ft.DataCell(ft.Text(a.role)),
                ft.DataCell(ft.Text("active" if a.active else "deactivated")),
                ft.DataCell(ft.Text(availability_words(a, now, shop) if a.active else "—")),
                ft.DataCell(ft.Checkbox(value=bool(a.hours), label="Away outside business hours",
                                        on_change=lambda e, a=a: self.ctx.page.run_task(self._hours, a, e.control.value))),
                ft.DataCell(ft.Row(actions, tight=True))]))
        name = ft.TextField(on_change=sync_value, label="Name", width=200, dense=True)
        email = ft.TextField(on_change=sync_value, label="Email", width=240, dense=True)
        password = ft.TextField(on_change=sync_value, label="Temporary password", width=220, dense=True, password=True,
                                can_reveal_password=True)
        role = ft.Dropdown(label="Role", width=130, dense=True, value="agent",
                           options=[ft.DropdownOption(key="agent", text="Agent"), ft.DropdownOption(key="admin", text="Admin")])

        async def create(e: Any) -> None:
            done = await self.ctx.attempt(self.ctx.services.agents.create, email.value or "", name.value or "",
                                          password.value or "", role.value or "agent", actor=self.ctx.actor,
                                          success=f"{name.value} can now sign in")
            if done is not None:
                await self.rerender()

        return ft.Column([
            *heading("Agents", "Everyone who works in the inbox. Admins also manage settings."),
            ft.DataTable(columns=[ft.DataColumn(ft.Text(h)) for h in ("Name", "Email", "Role", "Status", "Assignment",
                                                                      "Hours", "")],
                         rows=rows),
            ft.Text("Add an agent", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Row([name, email, password, role, ft.FilledButton("Add agent", on_click=create)], wrap=True),
        ], spacing=16, scroll=ft.ScrollMode.AUTO)

    async def _hours(self, agent: Any, follow_shop: bool) -> None:
        if await self.ctx.attempt(self.ctx.services.agents.set_hours, agent.id, {"shop": True} if follow_shop else None,
                                  self.ctx.actor) is not None:
            await self.rerender()

    async def _toggle(self, agent: Any) -> None:
        if await self.ctx.attempt(self.ctx.services.agents.set_active, agent.id, not agent.active, self.ctx.actor) is not None:
            if agent.active:
                await self.ctx.write(self.ctx.services.auth.sign_out_everywhere, agent.id)
            await self.rerender()

    async def _reset_password(self, agent: Any) -> None:
        field = ft.TextField(on_change=sync_value, label="New password (8 characters or more)", password=True, can_reveal_password=True,
                             autofocus=True)

        async def save(e: Any) -> None:
            if await self.ctx.attempt(self.ctx.services.agents.reset_password, agent.id, field.value or "", self.ctx.actor,
                                      success=f"Password for {agent.name} changed") is not None:
                self.ctx.page.pop_dialog()
                self.ctx.page.update()

        self.ctx.page.show_dialog(ft.AlertDialog(title=ft.Text(f"Reset password for {agent.name}"), content=field,
                                             actions=[ft.TextButton("Cancel", on_click=lambda e: self.ctx.page.pop_dialog()),
                                                      ft.FilledButton("Save", on_click=save)]))
        self.ctx.page.update()
