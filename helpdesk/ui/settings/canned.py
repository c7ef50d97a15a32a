"""Settings › Canned replies: ready answers with variables for the reply box."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.services.canned import VARIABLES
from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.widgets import close_dialog, icon_button, sync_value


class CannedSection(Section):

    async def build(self) -> ft.Control:
        replies = await self.ctx.read(self.ctx.services.canned.list, self.ctx.actor)
        items: list[ft.Control] = []
        for r in replies:
            items.append(ft.Card(content=ft.Container(padding=12, content=ft.Column([
                ft.Row([ft.Text(r.title + (" (only you)" if r.owner_id is not None else ""),
                                weight=ft.FontWeight.BOLD, expand=True),
                        icon_button(ft.Icons.EDIT_OUTLINED, f"Edit {r.title}",
                                      on_click=lambda e, r=r: self.ctx.page.run_task(self._edit_canned, r)),
                        icon_button(ft.Icons.DELETE_OUTLINE, f"Delete {r.title}",
                                      on_click=lambda e, r=r: self.ctx.page.run_task(self._delete_canned, r))]),
                ft.Text(r.body, size=13),
            ], spacing=4))))
        return ft.Column([
            *heading("Canned replies", "Ready answers for the reply box. Variables: " +
                           ", ".join("{{" + v + "}}" for v in VARIABLES)),
            ft.FilledButton("New canned reply", icon=ft.Icons.ADD,
                            on_click=lambda e: self.ctx.page.run_task(self._edit_canned, None)),
            *items,
        ], spacing=12, scroll=ft.ScrollMode.AUTO)

    async def _edit_canned(self, reply: Any) -> None:
        title = ft.TextField(on_change=sync_value, label="Title", value=reply.title if reply else "", autofocus=True)
        body = ft.TextField(on_change=sync_value, label="Text", value=reply.body if reply else "Hi {{customer.first_name}},\n\n",
                            multiline=True, min_lines=4, max_lines=10)
        mine = ft.Checkbox(label="Only for me", value=False, visible=reply is None)

        async def save(e: Any) -> None:
            if reply:
                done = await self.ctx.attempt(self.ctx.services.canned.update, reply.id, title.value or "",
                                              body.value or "", self.ctx.actor)
            else:
                done = await self.ctx.attempt(self.ctx.services.canned.create, title.value or "", body.value or "",
                                              self.ctx.actor, private=bool(mine.value))
            if done is not None:
                close_dialog(self.ctx.page)
                await self.rerender()

        self.ctx.page.show_dialog(ft.AlertDialog(title=ft.Text("Edit canned reply" if reply else "New canned reply"),
                                             content=ft.Column([title, body, mine], tight=True, width=480),
                                             actions=[ft.TextButton("Cancel", on_click=lambda e: close_dialog(self.ctx.page)),
                                                      ft.FilledButton("Save", on_click=save)]))
        self.ctx.page.update()

    async def _delete_canned(self, reply: Any) -> None:
        if await self.ctx.attempt(self.ctx.services.canned.delete, reply.id, self.ctx.actor,
                                  success=f"Deleted {reply.title}") is not None:
            await self.rerender()
