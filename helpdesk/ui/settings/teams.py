"""Settings → Teams: the parts of the shop with their own queues (Workshop, Sales), who is in
each and who leads it, and which team new conversations from each mailbox, channel and
intake token go to."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.services.teams import TeamView
from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.widgets import close_dialog, sync_value

NO_TEAM = "-"


class TeamsSection(Section):

    async def build(self) -> ft.Control:
        services = self.ctx.services
        teams, agents, boxes, channels, tokens, routes = await self.ctx.read(lambda: (
            services.teams.all(), services.agents.list(include_inactive=False), services.mail.mailboxes.all(),
            services.messaging.channels.all(), [t for t in services.tokens.list() if t.revoked_at is None],
            {source: services.teams.routes(source) for source in ("mailbox", "channel", "token")}))
        self.teams, self.agents = teams, agents
        cards: list[ft.Control] = [self._card(t) for t in teams]
        sources = [("mailbox", b.id, f"Mailbox {b.name}") for b in boxes] + \
                  [("channel", c.id, f"Channel {c.name}") for c in channels] + \
                  [("token", t.id, f"API token {t.name}") for t in tokens]
        rows = [ft.Row([ft.Text(label, expand=True), self._route(source, source_id, label, routes[source])])
                for source, source_id, label in sources]
        return ft.Column([
            *heading("Teams", "A team has its own queue: filter the inbox by it to see its conversations and its "
                              "Unassigned ones. A conversation moved to a team keeps its assignee only if they are "
                              "a member."),
            ft.FilledButton("New team", icon=ft.Icons.ADD, on_click=lambda e: self.ctx.page.run_task(self._edit, None)),
            *(cards or [ft.Text("No teams yet.", italic=True)]),
            ft.Text("Where new conversations go", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Text("A new conversation from each of these lands in the team's queue (a customer writing again "
                    "continues where their conversation is).", color=ft.Colors.ON_SURFACE_VARIANT),
            *(rows if teams else [ft.Text("Make a team first.", italic=True)]),
        ], spacing=12, scroll=ft.ScrollMode.AUTO)

    def _card(self, team: TeamView) -> ft.Control:
        names = ", ".join(m.name + (" (lead)" if team.lead and m.id == team.lead.id else "") for m in team.members)
        return ft.Card(content=ft.Container(padding=12, content=ft.Column([
            ft.Row([ft.Text(team.name, weight=ft.FontWeight.BOLD, expand=True),
                    ft.IconButton(ft.Icons.EDIT_OUTLINED, tooltip=f"Edit {team.name}",
                                  on_click=lambda e: self.ctx.page.run_task(self._edit, team)),
                    ft.IconButton(ft.Icons.DELETE_OUTLINE, tooltip=f"Remove {team.name}",
                                  on_click=lambda e: self.ctx.page.run_task(self._remove, team))]),
            ft.Text(names or "No members yet.", size=13, italic=not names),
        ], spacing=4)))

    def _route(self, source: str, source_id: int, label: str, routes: dict[int, int]) -> ft.Control:
        async def chosen(e: Any) -> None:
            value = e.control.value or NO_TEAM
            team = next((t.name for t in self.teams if str(t.id) == value), None)
            await self.ctx.attempt(self.ctx.services.teams.send_new_conversations, source, source_id, team,
                                   self.ctx.actor, success=f"New conversations from {label} go to "
                                                           f"{team if team else 'no team'}")

        current = routes.get(source_id)
        return ft.Dropdown(value=str(current) if current is not None else NO_TEAM, dense=True, width=200,
                           on_select=chosen, tooltip=f"Team for new conversations from {label}",
                           options=[ft.DropdownOption(key=NO_TEAM, text="No team")] +
                                   [ft.DropdownOption(key=str(t.id), text=t.name) for t in self.teams])

    async def _edit(self, team: TeamView | None) -> None:
        name = ft.TextField(on_change=sync_value, label="Name", value=team.name if team else "", autofocus=True,
                            hint_text="Workshop")
        members = {a.id: ft.Checkbox(label=f"{a.name} ({a.email})", value=bool(team and a.id in team.member_ids))
                   for a in self.agents}
        lead = ft.Dropdown(label="Lead", tooltip="Lead", value=str(team.lead.id) if team and team.lead else NO_TEAM, dense=True,
                           options=[ft.DropdownOption(key=NO_TEAM, text="No lead")] +
                                   [ft.DropdownOption(key=str(a.id), text=a.name) for a in self.agents])

        async def save(e: Any) -> None:
            emails = [a.email for a in self.agents if members[a.id].value]
            lead_email = next((a.email for a in self.agents if str(a.id) == lead.value), None)
            teams = self.ctx.services.teams
            if team is None:
                done = await self.ctx.attempt(teams.create, name.value or "", emails, self.ctx.actor, lead=lead_email)
            else:
                done = await self.ctx.attempt(teams.change, team.id, self.ctx.actor, name=name.value or "",
                                              members=emails, lead=lead_email)
            if done is not None:  # closed before the note: a note is the top "dialog" while it shows
                close_dialog(self.ctx.page)
                await self.rerender()
                self.ctx.toast(f"Team {done.name} saved")

        self.ctx.page.show_dialog(ft.AlertDialog(
            title=ft.Text(f"Edit {team.name}" if team else "New team"),
            content=ft.Column([name, ft.Text("Members", weight=ft.FontWeight.BOLD), *members.values(), lead],
                              tight=True, width=480, scroll=ft.ScrollMode.AUTO),
            actions=[ft.TextButton("Cancel", on_click=lambda e: close_dialog(self.ctx.page)),
                     ft.FilledButton("Save", on_click=save)]))
        self.ctx.page.update()

    async def _remove(self, team: TeamView) -> None:
        async def remove(e: Any) -> None:
            close_dialog(self.ctx.page)
            if await self.ctx.attempt(self.ctx.services.teams.remove, team.id, self.ctx.actor,
                                      success=f"Removed {team.name}") is not None:
                await self.rerender()

        self.ctx.page.show_dialog(ft.AlertDialog(
            title=ft.Text(f"Remove {team.name}?"),
            content=ft.Text("Its conversations stay as they are, in no team's queue; what sent new conversations to "
                            "it sends them to no team."),
            actions=[ft.TextButton("Cancel", on_click=lambda e: close_dialog(self.ctx.page)),
                     ft.FilledButton("Remove", on_click=remove)]))
        self.ctx.page.update()
