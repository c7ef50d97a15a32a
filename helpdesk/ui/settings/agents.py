"""Settings › Agents: everyone who works in the inbox; admins add, deactivate and reset passwords, and say
who is away from automatic assignment outside business hours."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.services.automation.assign import availability_words
from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.widgets import close_dialog, sync_value


class AgentsSection(Section):

    async def build(self) -> ft.Control:
        agents = await self.ctx.read(self.ctx.services.agents.list)
        policy = await self.ctx.read(self.ctx.services.two_step.policy)
        shop = await self.ctx.read(lambda: self.ctx.services.sla.rules().calendar)
        now = self.ctx.services.clock.now()
        rows = []
        for a in agents:
            run = self.ctx.page.run_task
            items = [ft.PopupMenuItem(content="Reset password", icon=ft.Icons.PASSWORD,
                                      on_click=lambda e, a=a: run(self._reset_password, a))]
            if a.totp_enabled_at is not None:
                items.append(ft.PopupMenuItem(content="Reset two-step sign-in (lost phone)",
                                              icon=ft.Icons.PHONELINK_ERASE,
                                              on_click=lambda e, a=a: run(self._reset_two_step, a)))
            if a.id != self.ctx.actor.id:
                items.append(ft.PopupMenuItem(content="Sign out everywhere", icon=ft.Icons.LOGOUT,
                                              on_click=lambda e, a=a: run(self._sign_out_everywhere, a)))
                items.append(ft.PopupMenuItem(content="Deactivate" if a.active else "Activate",
                                              icon=ft.Icons.PERSON_OFF_OUTLINED if a.active else ft.Icons.PERSON,
                                              on_click=lambda e, a=a: run(self._toggle, a)))
            # In a table the tooltip names the cell the button fills (a screen reader says "Actions for Ann").
            actions = [ft.PopupMenuButton(icon=ft.Icons.MORE_VERT, tooltip=f"Actions for {a.name}", items=items)]
            rows.append(ft.DataRow(cells=[
                ft.DataCell(ft.Text(a.name)), ft.DataCell(ft.Text(a.email)), ft.DataCell(ft.Text(a.role)),
                ft.DataCell(ft.Text("active" if a.active else "deactivated")),
                ft.DataCell(ft.Text("on" if a.totp_enabled_at else "off")),
                ft.DataCell(ft.Text(availability_words(a, now, shop) if a.active else "—")),
                ft.DataCell(ft.Checkbox(value=bool(a.hours), label="Away outside them",
                                        tooltip="Automatic assignment passes them by outside the shop's hours",
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
            ft.DataTable(columns=[ft.DataColumn(ft.Text(h)) for h in ("Name", "Email", "Role", "Status", "Two-step",
                                                                      "Assignment", "Business hours", "")],
                         rows=rows, column_spacing=24),
            *self._sign_in_policy(policy),
            ft.Text("Add an agent", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Row([name, email, password, role, ft.FilledButton("Add agent", on_click=create)], wrap=True),
        ], spacing=16, scroll=ft.ScrollMode.AUTO)

    def _sign_in_policy(self, policy: Any) -> list[ft.Control]:
        two_step = ft.Dropdown(label="Two-step sign-in", width=320, dense=True, value=policy.two_step, options=[
            ft.DropdownOption(key="off", text="Each agent's choice"),
            ft.DropdownOption(key="outside_lan", text="Required from outside the shop's network"),
            ft.DropdownOption(key="everyone", text="Required for everyone")],
            on_select=lambda e: self.ctx.page.run_task(self._policy, e.control.value, None))
        idle = ft.TextField(on_change=sync_value, label="Sign out devices unused for (days)", width=260, dense=True,
                            value=str(policy.idle_days), keyboard_type=ft.KeyboardType.NUMBER,
                            on_submit=lambda e: self.ctx.page.run_task(self._policy, None, e.control.value))
        return [ft.Text("Signing in", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
                ft.Text("Agents set up two-step sign-in in their account menu. When it is required, an agent without "
                        "it sets it up at their next sign-in on the shop's network; from outside, they cannot sign "
                        "in until they have.", color=ft.Colors.ON_SURFACE_VARIANT, size=12),
                ft.Row([two_step, idle, ft.TextButton("Save days", on_click=lambda e: self.ctx.page.run_task(
                    self._policy, None, idle.value))], wrap=True)]

    async def _policy(self, two_step: str | None, idle: str | None) -> None:
        days = None
        if idle is not None:
            try:
                days = int(idle)
            except ValueError:
                self.ctx.toast("The days must be a whole number from 1 to 365.", error=True)
                return
        if await self.ctx.attempt(self.ctx.services.two_step.set_policy, self.ctx.actor, two_step, days,
                                  success="Saved") is not None:
            await self.rerender()

    async def _reset_two_step(self, agent: Any) -> None:
        if not await self.ctx.confirm(f"Reset two-step sign-in for {agent.name}?",
                                      "For a lost phone: their second step is turned off and every device of theirs "
                                      "is signed out. They sign in with their password and set it up again.",
                                      "Reset", "Cancel"):
            return
        if await self.ctx.attempt(self.ctx.services.two_step.reset, agent.id, self.ctx.actor,
                                  success=f"Two-step sign-in reset for {agent.name}") is not None:
            await self.rerender()

    async def _sign_out_everywhere(self, agent: Any) -> None:
        ended = await self.ctx.attempt(self.ctx.services.auth.sign_out_everywhere, agent.id, self.ctx.actor)
        if ended is not None:
            self.ctx.toast(f"{agent.name} is signed out on {ended} device{'s' if ended != 1 else ''}")

    async def _hours(self, agent: Any, follow_shop: bool) -> None:
        if await self.ctx.attempt(self.ctx.services.agents.set_hours, agent.id, {"shop": True} if follow_shop else None,
                                  self.ctx.actor) is not None:
            await self.rerender()

    async def _toggle(self, agent: Any) -> None:
        if await self.ctx.attempt(self.ctx.services.agents.set_active, agent.id, not agent.active, self.ctx.actor) is not None:
            if agent.active:
                await self.ctx.write(self.ctx.services.auth.sign_out_everywhere, agent.id, self.ctx.actor)
            await self.rerender()

    async def _reset_password(self, agent: Any) -> None:
        field = ft.TextField(on_change=sync_value, label="New password (8 characters or more)", password=True, can_reveal_password=True,
                             autofocus=True)

        async def save(e: Any) -> None:
            if await self.ctx.attempt(self.ctx.services.agents.reset_password, agent.id, field.value or "", self.ctx.actor,
                                      self.ctx.session_token,
                                      success=f"Password for {agent.name} changed; their devices are signed out") \
                    is not None:
                close_dialog(self.ctx.page)
                self.ctx.page.update()

        self.ctx.page.show_dialog(ft.AlertDialog(title=ft.Text(f"Reset password for {agent.name}"), content=field,
                                             actions=[ft.TextButton("Cancel", on_click=lambda e: close_dialog(self.ctx.page)),
                                                      ft.FilledButton("Save", on_click=save)]))
        self.ctx.page.update()
