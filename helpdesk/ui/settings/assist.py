"""Settings › Assist: similar solved conversations and canned suggestions work from the shop's
own history with nothing set up; a language model (one on this machine, or a cloud one if the
owner chooses) adds drafts, summaries and hand-over notes. Off until an admin turns it on."""

from __future__ import annotations

import asyncio
from typing import Any

import flet as ft

from helpdesk.services.errors import ServiceError
from helpdesk.ui import format as fmt
from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.widgets import sync_value

KEY_KEPT = "••••••••"


class AssistSection(Section):

    async def build(self) -> ft.Control:
        assist = self.ctx.services.assist
        now_set = await self.ctx.read(assist.settings_now)
        uses = await self.ctx.read(assist.uses, 12)
        enabled = ft.Switch(label="Use a language model", value=now_set.enabled)
        base_url = ft.TextField(on_change=sync_value, label="Address (OpenAI-compatible)", value=now_set.base_url,
                                hint_text="http://127.0.0.1:11434/v1 (Ollama), http://127.0.0.1:8080/v1 (llama.cpp)",
                                width=460, dense=True)
        model = ft.TextField(on_change=sync_value, label="Model", value=now_set.model, width=240, dense=True,
                             hint_text="llama3.1:8b")
        key = ft.TextField(on_change=sync_value, label="Key (optional)", value=KEY_KEPT if now_set.key_set else "",
                           password=True, width=240, dense=True)
        mask = ft.Checkbox(label="Mask email addresses, phone and card numbers before sending", value=now_set.mask)
        notes = ft.Checkbox(label="Internal notes may be sent too", value=now_set.notes)
        handover = ft.Checkbox(label="Write a hand-over summary when a conversation changes hands",
                               value=now_set.handover)
        result = ft.Text("", size=12)

        async def save(e: Any) -> bool:
            given = key.value or ""
            done = await self.ctx.attempt(
                assist.configure, self.ctx.actor, enabled=bool(enabled.value), base_url=base_url.value or "",
                model=model.value or "", key=None if given == KEY_KEPT else given, mask=bool(mask.value),
                notes=bool(notes.value), handover=bool(handover.value), success="Assist saved")
            return done is not None

        async def test(e: Any) -> None:
            if not await save(e):
                return
            result.value, result.color = "Asking the model…", None
            self.ctx.page.update(result)
            try:
                result.value = await asyncio.to_thread(assist.test, self.ctx.actor)
            except ServiceError as exc:  # down, slow, a wrong key: in words
                result.value, result.color = fmt.explain(exc), ft.Colors.ERROR
            self.ctx.page.update(result)

        rows = [ft.DataRow(cells=[ft.DataCell(ft.Text(fmt.ago(u.at, self.ctx.services.clock.now()))),
                                  ft.DataCell(ft.Text(u.kind)),
                                  ft.DataCell(ft.Text(f"#{u.conversation_id}" if u.conversation_id else "—")),
                                  ft.DataCell(ft.Text(f"{u.chars_sent:,}")),
                                  ft.DataCell(ft.Text(u.outcome[:60],
                                                      color=None if u.outcome == "ok" else ft.Colors.ERROR))])
                for u in uses]
        return ft.Column([
            *heading("Assist", "Beside every conversation: the similar conversations the team solved before, with "
                               "the reply that solved them, and the canned replies that fit. That needs nothing: it "
                               "reads the shop's own history, on this computer."),
            ft.Text("A language model (optional)", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Text("Drafts replies from those past answers in the customer's language, summarises long "
                    "conversations and writes a hand-over note. Nothing is sent anywhere until this is on; a "
                    "model on this computer or the shop's network (llama.cpp, Ollama, LM Studio) keeps everything "
                    "in the shop.", size=13, color=ft.Colors.ON_SURFACE_VARIANT),
            enabled, ft.Row([base_url, model, key], wrap=True), mask, notes, handover,
            ft.Row([ft.FilledButton("Save", on_click=save), ft.OutlinedButton("Test", icon=ft.Icons.BOLT, on_click=test),
                    result], wrap=True),
            ft.Text("Recent uses", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.DataTable(columns=[ft.DataColumn(ft.Text(c)) for c in ("When", "What", "Conversation",
                                                                      "Characters sent", "Outcome")], rows=rows)
            if rows else ft.Text("None yet.", italic=True, size=12),
        ], spacing=12, scroll=ft.ScrollMode.AUTO)
