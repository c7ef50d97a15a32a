"""Settings › Teams: the parts of the shop with their own queues (Workshop, Sales), who is in
each and who leads it, and which team new conversations from each mailbox, channel and
intake token go to; a team's own business hours and response targets (a workshop that opens
at 8)."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.models import PRIORITIES
from helpdesk.services.sla import Policy, TeamTime
from helpdesk.services.teams import TeamView
from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.settings.hours_editor import HoursEditor, TargetsEditor, hours_words
from helpdesk.ui.widgets import close_dialog, icon_button, sync_value

NO_TEAM = "-"


def _by_priority(policy: Policy) -> int:
    return PRIORITIES.index(policy.priority)


class TeamsSection(Section):

    async def build(self) -> ft.Control:
        services = self.ctx.services
        teams, agents, boxes, channels, tokens, routes, rules = await self.ctx.read(lambda: (
            services.teams.all(), services.agents.list(include_inactive=False), services.mail.mailboxes.all(),
            services.messaging.channels.all(), [t for t in services.tokens.list() if t.revoked_at is None],
            {source: services.teams.routes(source) for source in ("mailbox", "channel", "token")},
            services.sla.rules()))
        self.teams, self.agents, self.rules = teams, agents, rules
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
                    icon_button(ft.Icons.EDIT_OUTLINED, f"Edit {team.name}",
                                  on_click=lambda e: self.ctx.page.run_task(self._edit, team)),
                    icon_button(ft.Icons.DELETE_OUTLINE, f"Remove {team.name}",
                                  on_click=lambda e: self.ctx.page.run_task(self._remove, team))]),
            ft.Text(names or "No members yet.", size=13, italic=not names),
            ft.Text(self._time_words(team), size=13, color=ft.Colors.ON_SURFACE_VARIANT),
        ], spacing=4)))

    def _time_words(self, team: TeamView) -> str:
        own = self.rules.teams.get(team.id, TeamTime())
        hours = f"Own hours: {hours_words(own.calendar)}" if own.calendar else "The shop's business hours"
        targets = "own response targets" if own.policies else "the shop's response targets"
        return f"{hours}; {targets}."

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

        own = self.rules.teams.get(team.id, TeamTime()) if team else TeamTime()
        hours = HoursEditor(own.calendar or self.rules.calendar)
        targets = TargetsEditor({**self.rules.policies, **own.policies})
        hours_box = ft.Column(hours.controls, visible=own.calendar is not None, spacing=8)
        targets_box = ft.Column(targets.controls, visible=bool(own.policies), spacing=8)

        def toggle(box: ft.Column) -> Any:
            def flip(e: Any) -> None:
                box.visible = bool(e.control.value)
                box.update()
            return flip

        own_hours = ft.Checkbox(label="Own business hours (the shop's otherwise)", value=own.calendar is not None,
                                on_change=toggle(hours_box))
        own_targets = ft.Checkbox(label="Own response targets (the shop's otherwise)", value=bool(own.policies),
                                  on_change=toggle(targets_box))

        async def save(e: Any) -> None:
            emails = [a.email for a in self.agents if members[a.id].value]
            lead_email = next((a.email for a in self.agents if str(a.id) == lead.value), None)
            try:  # checked before anything is saved
                new_hours = hours.value() if own_hours.value else None
                new_targets = targets.value() if own_targets.value else None
            except Exception as exc:
                self.ctx.toast(f"The team was not saved: {exc}", error=True)
                return
            services = self.ctx.services
            if team is None:
                done = await self.ctx.attempt(services.teams.create, name.value or "", emails, self.ctx.actor,
                                              lead=lead_email)
            else:
                done = await self.ctx.attempt(services.teams.change, team.id, self.ctx.actor, name=name.value or "",
                                              members=emails, lead=lead_email)
            if done is not None and new_hours != own.calendar:
                done = await self.ctx.attempt(services.sla.set_team_hours, done.id, new_hours, self.ctx.actor) \
                    and done
            if done is not None and (new_targets or []) != sorted(own.policies.values(), key=_by_priority):
                done = await self.ctx.attempt(services.sla.set_team_targets, done.id, new_targets, self.ctx.actor) \
                    and done
            if done is not None:  # closed before the note: a note is the top "dialog" while it shows
                close_dialog(self.ctx.page)
                await self.rerender()
                self.ctx.toast(f"Team {done.name} saved")

        self.ctx.page.show_dialog(ft.AlertDialog(
            title=ft.Text(f"Edit {team.name}" if team else "New team"),
            content=ft.Column([name, ft.Text("Members", weight=ft.FontWeight.BOLD), *members.values(), lead,
                               own_hours, hours_box, own_targets, targets_box],
                              tight=True, width=640, scroll=ft.ScrollMode.AUTO),
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
