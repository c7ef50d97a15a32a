"""What the command palette offers in the workspace (ui/workspace/palette.py draws it): on the open
conversation its macros, status, assignees and teams; then the views and the team queues; and
conversations for what is typed. A part of `Workspace`, kept apart from the shell's layout."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.models import OPEN, PENDING, RESOLVED, SPAM
from helpdesk.ui.workspace.palette import Command
from helpdesk.ui.workspace.views import VIEW_ICONS, VIEW_LABELS


class PaletteCommands:
    """Mixed into Workspace: uses its controller (`c`), actions, rail and filters."""

    c: Any
    ctx: Any
    page: Any
    actions: Any
    rail: Any
    team_filter: Any

    def _commands(self, agents: list[Any], macros: list[Any]) -> list[Command]:
        """What may be done now: on the open conversation first, then views and team queues."""
        acts, c = self.actions, self.c
        out: list[Command] = []
        detail = c.detail if c.selected_id is not None else None
        if detail is not None:
            number = f"#{detail.conversation.id}"
            out += [Command(f"Run macro: {m.name}", lambda m=m: acts.macro(m.id, m.name), ft.Icons.BOLT)
                    for m in macros]
            status = detail.conversation.status
            if status == RESOLVED:
                out.append(Command(f"Reopen {number}", lambda: acts.status(OPEN), ft.Icons.REPLAY))
            elif status != SPAM:
                out += [Command(f"Resolve {number}", lambda: acts.status(RESOLVED), ft.Icons.CHECK_CIRCLE_OUTLINE),
                        Command(f"Set {number} pending", lambda: acts.status(PENDING), ft.Icons.HOURGLASS_EMPTY)]
            out.append(Command(f"Assign {number} to me", lambda: acts.assign(c.agent_id), ft.Icons.PERSON_ADD_ALT))
            out += [Command(f"Assign {number} to {a.name}", lambda a=a: acts.assign(a.id), ft.Icons.PERSON_OUTLINE)
                    for a in agents if a.id != c.agent_id]
            out += [Command(f"Move {number} to {name}", lambda i=i: acts.team(i), ft.Icons.GROUPS_2_OUTLINED)
                    for i, name in sorted(c.teams.items(), key=lambda t: t[1])]
        out += [Command(f"View: {label}", lambda v=v: self._go_to_view(v), VIEW_ICONS[v][0])
                for v, label in VIEW_LABELS.items()]
        out += [Command(f"Team queue: {name}", lambda i=i: self._go_to_team(i), ft.Icons.GROUPS_2_OUTLINED)
                for i, name in sorted(c.teams.items(), key=lambda t: t[1])]
        return out

    async def _find_for_palette(self, typed: str) -> list[Command]:
        """Conversations for what was typed: "#42" (or 42) opens that one; words search."""
        number = typed.lstrip("#")
        found: list[Command] = []
        if number.isdigit():
            found.append(Command(f"Open #{number}", lambda n=int(number): self.open(n), ft.Icons.OPEN_IN_NEW))
        if len(typed) >= 3:
            hits = await self.ctx.read(self.ctx.services.search.search, typed, 5)
            seen: set[int] = set()
            for h in hits:
                if h.conversation_id is None or h.conversation_id in seen:
                    continue
                seen.add(h.conversation_id)
                found.append(Command(f"Open #{h.conversation_id} · {h.customer_name} · {h.subject}"[:90],
                                     lambda i=h.conversation_id: self.open(i), ft.Icons.CHAT_BUBBLE_OUTLINE))
        return found

    async def _go_to_view(self, view: str) -> None:
        self.rail.selected_index = list(VIEW_LABELS).index(view)
        await self._change_view()
        self.page.update()

    async def _go_to_team(self, team_id: int) -> None:
        self.team_filter.value = str(team_id)
        await self._on_filter(None)
        self.page.update()

