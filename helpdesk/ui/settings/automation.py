"""Settings › Automation: the team's rules in the order they run, each with its switch, what it
says in words, what it did last (or why it fails), its history and a dry run over the last 100
conversations; the loop guards' limits."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.models.help import PUBLISHED
from helpdesk.ui import format as fmt
from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.settings.rule_editor import RuleEditor
from helpdesk.ui.widgets import close_dialog, icon_button, sync_value


class AutomationSection(Section):

    async def build(self) -> ft.Control:
        automation = self.ctx.services.automation
        rules = await self.ctx.read(automation.rules)
        limits = await self.ctx.read(automation.limits)
        now = self.ctx.services.clock.now()
        cards = [self._card(r, i, len(rules), now) for i, r in enumerate(rules)]
        window = ft.TextField(on_change=sync_value, label="One automatic reply per conversation every (hours)",
                              value=f"{limits.reply_window_hours:g}", width=330, dense=True)
        per_day = ft.TextField(on_change=sync_value, label="Automatic replies per customer a day", width=270,
                               value=str(limits.customer_per_day), dense=True)

        async def save_limits(e: Any) -> None:
            try:
                hours, count = float(window.value or ""), int(per_day.value or "")
            except ValueError:
                self.ctx.toast("Write the limits as numbers", error=True)
                return
            await self.ctx.attempt(automation.set_limits, hours, count, self.ctx.actor, success="Limits saved")

        return ft.Column([
            *heading("Automation", "Rules run in this order whenever something happens, each at most once for it. "
                                   "Automatic replies never answer an automatic message (an out-of-office, a bounce, "
                                   "a mailing list), never count as the team's answer, and keep to the limits below."),
            ft.Row([ft.FilledButton("New rule", icon=ft.Icons.ADD,
                                    on_click=lambda e: self.ctx.page.run_task(self._edit, None))]),
            *cards,
            ft.Text("Limits", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Row([window, per_day, ft.OutlinedButton("Save limits", on_click=save_limits)], wrap=True),
        ], spacing=12, scroll=ft.ScrollMode.AUTO)

    def _card(self, rule: Any, index: int, count: int, now: Any) -> ft.Control:
        automation = self.ctx.services.automation
        if rule.last_error:
            status = ft.Text(f"Failing: {rule.last_error}", color=ft.Colors.ERROR, size=12)
        elif rule.last_run_at is not None:
            status = ft.Text(f"Last {rule.last_outcome} {fmt.ago(rule.last_run_at, now)}: {rule.last_detail or '—'} "
                             f"· {rule.runs} run{'s' if rule.runs != 1 else ''}", size=12,
                             color=ft.Colors.ON_SURFACE_VARIANT)
        else:
            status = ft.Text("Has not run yet", size=12, italic=True, color=ft.Colors.ON_SURFACE_VARIANT)

        async def toggle(e: Any) -> None:
            if await self.ctx.attempt(automation.set_enabled, rule.name, bool(e.control.value), self.ctx.actor,
                                      success=f"{rule.title} is {'on' if e.control.value else 'off'}") is None:
                await self.rerender()

        def run(coro: Any, *args: Any) -> Any:
            return lambda e: self.ctx.page.run_task(coro, *args)

        return ft.Card(content=ft.Container(padding=12, content=ft.Column([
            ft.Row([ft.Switch(value=rule.enabled, label=rule.title, on_change=toggle), ft.Container(expand=True),
                    icon_button(ft.Icons.ARROW_UPWARD, f"Run {rule.title} earlier", disabled=index == 0,
                                  on_click=run(self._move, rule, -1)),
                    icon_button(ft.Icons.ARROW_DOWNWARD, f"Run {rule.title} later",
                                  disabled=index == count - 1, on_click=run(self._move, rule, 1)),
                    ft.TextButton("Edit", icon=ft.Icons.EDIT_OUTLINED, on_click=run(self._edit, rule)),
                    ft.TextButton("Test", icon=ft.Icons.SCIENCE_OUTLINED, on_click=run(self._test, rule)),
                    ft.TextButton("History", icon=ft.Icons.HISTORY, on_click=run(self._history, rule)),
                    icon_button(ft.Icons.DELETE_OUTLINE, f"Delete {rule.title}",
                                  on_click=run(self._delete, rule))]),
            ft.Text(automation.describe(rule), size=13),
            status,
        ], spacing=4)))

    async def _edit(self, rule: Any) -> None:
        agents = await self.ctx.read(self.ctx.services.agents.list)
        canned = [c.title for c in await self.ctx.read(self.ctx.services.canned.list)]
        articles = [a.title for a in await self.ctx.read(self.ctx.services.articles.all, PUBLISHED)]
        RuleEditor(self.ctx, rule, agents, canned, self.rerender, articles).show()

    async def _move(self, rule: Any, step: int) -> None:
        if await self.ctx.attempt(self.ctx.services.automation.move, rule.id, step, self.ctx.actor) is not None:
            await self.rerender()

    async def _delete(self, rule: Any) -> None:
        if not await self.ctx.confirm(f"Delete {rule.title}?", "Its history goes with it. Turning it off keeps both.",
                                      "Delete", "Keep it"):
            return
        if await self.ctx.attempt(self.ctx.services.automation.delete, rule.id, self.ctx.actor,
                                  success=f"Deleted {rule.title}") is not None:
            await self.rerender()

    async def _test(self, rule: Any) -> None:
        results = await self.ctx.read(self.ctx.services.automation.test, None, rule.name)
        matched = [r for r in results if r.matched]
        now = self.ctx.services.clock.now()
        rows = [ft.DataRow(cells=[ft.DataCell(ft.Text(f"#{r.conversation_id}")),
                                  ft.DataCell(ft.Text(r.customer or "—")), ft.DataCell(ft.Text(r.subject or "—")),
                                  ft.DataCell(ft.Text(fmt.ago(r.at, now)))]) for r in matched[:30]]
        content = ft.Column([
            ft.Text(f"Its conditions match {len(matched)} of the last {len(results)} conversations "
                    f"(at each one's latest customer message). Nothing was changed."),
            ft.DataTable(columns=[ft.DataColumn(ft.Text(c)) for c in ("", "Customer", "Subject", "Last message")],
                         rows=rows) if rows else ft.Text("None would have matched.", italic=True),
        ], tight=True, width=620, scroll=ft.ScrollMode.AUTO)
        self._dialog(f"Test: {rule.title}", content)

    async def _history(self, rule: Any) -> None:
        runs = await self.ctx.read(self.ctx.services.automation.history, rule.id, 50)
        now = self.ctx.services.clock.now()
        rows = [ft.DataRow(cells=[ft.DataCell(ft.Text(fmt.ago(r.at, now))), ft.DataCell(ft.Text(f"#{r.conversation_id}")),
                                  ft.DataCell(ft.Text(r.outcome, color=ft.Colors.ERROR if r.outcome == "failed" else None)),
                                  ft.DataCell(ft.Text(r.detail[:80] or "—"))]) for r in runs]
        self._dialog(f"History: {rule.title}", ft.Column([
            ft.DataTable(columns=[ft.DataColumn(ft.Text(c)) for c in ("When", "Conversation", "Outcome", "What")],
                         rows=rows) if rows else ft.Text("It has not run yet.", italic=True),
        ], tight=True, width=680, scroll=ft.ScrollMode.AUTO))

    def _dialog(self, title: str, content: ft.Control) -> None:
        self.ctx.page.show_dialog(ft.AlertDialog(title=ft.Text(title), content=content,
                                                 actions=[ft.TextButton("Close",
                                                                        on_click=lambda e: close_dialog(self.ctx.page))]))
        self.ctx.page.update()
