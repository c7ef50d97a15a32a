"""Settings › Macros: the shop's everyday answers with what goes with them ("Bike ready for
pick-up": the canned reply, the tag, resolved), run from the reply box in one click. The form
has one of each action; the macro keeps the ones filled in (services/macros.py)."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.models import PRIORITIES
from helpdesk.services.macros import describe
from helpdesk.ui.context import UiContext
from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.widgets import close_dialog, icon_button, sync_value

KEEP = "-"  # leave it as it is
THEN = {KEEP: "Leave the status as it is", "open": "Keep open", "pending": "Set pending", "resolved": "Resolve",
        "snooze:24": "Snooze 1 day", "snooze:72": "Snooze 3 days", "snooze:168": "Snooze 1 week"}


def _dropdown(label: str, value: str, options: dict[str, str]) -> ft.Dropdown:
    return ft.Dropdown(label=label, tooltip=label, value=value, dense=True, width=230,
                       options=[ft.DropdownOption(key=k, text=v) for k, v in options.items()])


class MacrosSection(Section):

    async def build(self) -> ft.Control:
        services = self.ctx.services
        macros, canned, teams, agents = await self.ctx.read(lambda: (
            services.macros.visible_to(self.ctx.actor), services.canned.list(), services.teams.all(),
            services.agents.list(include_inactive=False)))
        self.canned, self.teams, self.agents = canned, teams, agents
        admin = self.ctx.is_admin

        def card(m: Any) -> ft.Control:
            mine = m.owner_id is not None
            tools = [icon_button(ft.Icons.EDIT_OUTLINED, f"Edit {m.name}",
                                 on_click=lambda e, m=m: self.ctx.page.run_task(self._edit, m)),
                     icon_button(ft.Icons.DELETE_OUTLINE, f"Delete {m.name}",
                                 on_click=lambda e, m=m: self.ctx.page.run_task(self._delete, m))] \
                if admin or mine else [ft.Text("the team's", size=12, color=ft.Colors.ON_SURFACE_VARIANT)]
            return ft.Card(content=ft.Container(padding=12, content=ft.Column([
                ft.Row([ft.Text(m.name + (" (only you)" if mine else ""), weight=ft.FontWeight.BOLD, expand=True),
                        *tools]),
                ft.Text(describe(m.actions), size=13)], spacing=4)))

        cards = [card(m) for m in macros]
        words = ("What the shop does every day, in one click from the reply box (Macros): a reply (a canned one, "
                 "with its variables), a note, tags, priority, team, assignee, and what becomes of the "
                 "conversation. The thread says which macro did it.") if admin else \
            ("Your own macros, beside the team's: in one click from the reply box, only you see them. An admin "
             "keeps the team's in Settings.")
        return ft.Column([
            *heading("Macros" if admin else "My macros", words),
            ft.FilledButton("New macro", icon=ft.Icons.ADD, on_click=lambda e: self.ctx.page.run_task(self._edit, None)),
            *(cards or [ft.Text("No macros yet.", italic=True)]),
        ], spacing=12, scroll=ft.ScrollMode.AUTO)

    async def _edit(self, macro: Any) -> None:
        plan = {a["type"]: a for a in (macro.actions if macro else [])}
        name = ft.TextField(on_change=sync_value, label="Name", value=macro.name if macro else "",
                            hint_text="Bike ready for pick-up", autofocus=True)
        canned = _dropdown("Canned reply", plan.get("reply", {}).get("canned") or KEEP,
                           {KEEP: "No canned reply", **{c.title: c.title for c in self.canned}})
        reply = ft.TextField(on_change=sync_value, label="Or a reply written here", multiline=True, max_lines=4,
                             value=plan.get("reply", {}).get("body", ""))
        note = ft.TextField(on_change=sync_value, label="Internal note", value=plan.get("note", {}).get("body", ""))
        tags = ft.TextField(on_change=sync_value, label="Add tags (comma between)",
                            value=", ".join(plan.get("add_tags", {}).get("tags", [])))
        priority = _dropdown("Priority", plan.get("priority", {}).get("value", KEEP),
                             {KEEP: "Leave the priority", **{p: p.title() for p in PRIORITIES}})
        team_value = plan["team"]["team"] or "none" if "team" in plan else KEEP
        team = _dropdown("Team", team_value, {KEEP: "Leave the team", "none": "No team",
                                              **{t.name: t.name for t in self.teams}})
        assign_value = plan["assign"]["to"] or "nobody" if "assign" in plan else KEEP
        assign = _dropdown("Assign", assign_value, {KEEP: "Leave the assignee", "me": "Whoever runs it",
                                                    "nobody": "Unassign", **{a.email: a.name for a in self.agents}})
        then_value = plan["status"]["value"] if "status" in plan else \
            f"snooze:{plan['snooze']['hours']:g}" if "snooze" in plan else KEEP
        then = _dropdown("Then", then_value if then_value in THEN else KEEP, THEN)
        mine = ft.Checkbox(label="Only for me", value=bool(macro and macro.owner_id is not None) or not self.ctx.is_admin,
                           disabled=macro is not None or not self.ctx.is_admin)  # an agent keeps only their own

        def actions() -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            if canned.value and canned.value != KEEP:
                out.append({"type": "reply", "canned": canned.value})
            elif (reply.value or "").strip():
                out.append({"type": "reply", "body": reply.value})
            if (note.value or "").strip():
                out.append({"type": "note", "body": note.value})
            if (tags.value or "").strip():
                out.append({"type": "add_tags", "tags": [t.strip() for t in (tags.value or "").split(",") if t.strip()]})
            if priority.value and priority.value != KEEP:
                out.append({"type": "priority", "value": priority.value})
            if team.value and team.value != KEEP:
                out.append({"type": "team", "team": None if team.value == "none" else team.value})
            if assign.value and assign.value != KEEP:
                out.append({"type": "assign", "to": None if assign.value == "nobody" else assign.value})
            if then.value and then.value.startswith("snooze:"):
                out.append({"type": "snooze", "hours": int(then.value.split(":")[1])})
            elif then.value and then.value != KEEP:
                out.append({"type": "status", "value": then.value})
            return out

        async def save(_e: Any) -> None:
            macros = self.ctx.services.macros
            if macro is None:
                done = await self.ctx.attempt(macros.create, name.value or "", actions(), self.ctx.actor,
                                              shared=not mine.value)
            else:
                done = await self.ctx.attempt(macros.change, macro.id, self.ctx.actor, name.value or "", actions())
            if done is not None:
                close_dialog(self.ctx.page)
                await self.rerender()
                self.ctx.toast(f"Macro {done.name} saved")

        self.ctx.page.show_dialog(ft.AlertDialog(
            title=ft.Text(f"Edit {macro.name}" if macro else "New macro"),
            content=ft.Column([name, canned, reply, note, tags, ft.Row([priority, team], wrap=True),
                               ft.Row([assign, then], wrap=True), mine], tight=True, width=500,
                              scroll=ft.ScrollMode.AUTO),
            actions=[ft.TextButton("Cancel", on_click=lambda e: close_dialog(self.ctx.page)),
                     ft.FilledButton("Save", on_click=save)]))
        self.ctx.page.update()

    async def _delete(self, macro: Any) -> None:
        if await self.ctx.attempt(self.ctx.services.macros.delete, macro.id, self.ctx.actor,
                                  success=f"Deleted {macro.name}") is not None:
            await self.rerender()


async def macros_dialog(ctx: UiContext) -> None:
    """The macros page in a dialog, from the reply box's Macros menu: for agents who are not
    admins (they have no Settings) their own macros; an admin sees every one, as in Settings."""
    holder = ft.Container(width=560, height=480)

    async def rerender() -> None:
        holder.content = await section.build()
        if holder.page is not None:
            holder.update()

    section = MacrosSection(ctx, rerender)
    holder.content = await section.build()
    ctx.page.show_dialog(ft.AlertDialog(content=holder, actions=[
        ft.TextButton("Close", on_click=lambda e: close_dialog(ctx.page))]))
    ctx.page.update()
