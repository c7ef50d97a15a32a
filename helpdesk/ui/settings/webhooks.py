"""Settings › Webhooks: where replies and missed targets are posted, with the delivery log."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import flet as ft

from helpdesk.events import WEBHOOK_ATTEMPTED, Event
from helpdesk.services.outbox import POST_TIMEOUT_SECONDS, WEBHOOK_EVENTS
from helpdesk.ui import format as fmt
from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.widgets import close_dialog, sync_value


TEST_SHOWN_WITHIN = POST_TIMEOUT_SECONDS + 2  # the outbox's own wait for a receiver, and a little
LOCAL_LABEL = "Allow local targets"
LOCAL_HELP = ("Let this receiver be on this computer or the shop's network (a LAN address). "
              "Link-local and cloud-metadata addresses are never allowed.")


class WebhooksSection(Section):

    async def build(self) -> ft.Control:
        hooks = await self.ctx.read(self.ctx.services.outbox.webhooks)
        now = self.ctx.services.clock.now()
        cards: list[ft.Control] = []
        for hook in hooks:
            deliveries = await self.ctx.read(self.ctx.services.outbox.deliveries, hook.id, 8)
            log_rows = [ft.DataRow(cells=[
                ft.DataCell(ft.Text(event.type)), ft.DataCell(ft.Text(d.status)),
                ft.DataCell(ft.Text(str(d.last_status_code or "—"))), ft.DataCell(ft.Text(str(d.attempts))),
                ft.DataCell(ft.Text(fmt.stamp(d.next_attempt_at, now, None) if d.status == "pending" else
                                    fmt.ago(d.delivered_at, now) if d.delivered_at else "—")),
                ft.DataCell(ft.Text(d.last_error[:60], color=ft.Colors.ERROR if d.last_error else None)),
            ]) for d, event in deliveries]
            cards.append(ft.Card(content=ft.Container(padding=16, content=ft.Column([
                ft.Row([ft.Text(hook.url, weight=ft.FontWeight.BOLD, expand=True, selectable=True),
                        ft.Text("active" if hook.active else "disabled",
                                color=ft.Colors.PRIMARY if hook.active else ft.Colors.OUTLINE)]),
                ft.Text(f"{hook.description or 'No description'} · events: {', '.join(hook.events)}", size=12),
                ft.TextField(value=hook.secret, read_only=True, label="Signing secret (HMAC-SHA256)", dense=True,
                             password=True, can_reveal_password=True),
                ft.Row([ft.TextButton("Edit", icon=ft.Icons.EDIT_OUTLINED,
                                      on_click=lambda e, h=hook: self.ctx.page.run_task(self._edit_webhook, h)),
                        ft.TextButton("Send test", icon=ft.Icons.SEND,
                                      on_click=lambda e, h=hook: self.ctx.page.run_task(self._test_webhook, h)),
                        ft.TextButton("Disable" if hook.active else "Enable",
                                      on_click=lambda e, h=hook: self.ctx.page.run_task(self._toggle_webhook, h))]),
                ft.DataTable(columns=[ft.DataColumn(ft.Text(c)) for c in
                                      ("Event", "Status", "HTTP", "Attempts", "Next try / delivered", "Error")],
                             rows=log_rows) if log_rows else ft.Text("No deliveries yet.", italic=True, size=12),
            ], spacing=8))))
        url = ft.TextField(on_change=sync_value, label="Receiver URL (https://…)", width=420, dense=True)
        description = ft.TextField(on_change=sync_value, label="What is it? (e.g. CRM)", width=220, dense=True)
        boxes = {event: ft.Checkbox(label=event, value=True) for event in WEBHOOK_EVENTS}
        local = ft.Checkbox(label=LOCAL_LABEL, value=False, tooltip=LOCAL_HELP)

        async def add(e: Any) -> None:
            chosen = [event for event, box in boxes.items() if box.value]
            if await self.ctx.attempt(self.ctx.services.outbox.create_webhook, url.value or "", chosen,
                                      description.value or "", self.ctx.actor, bool(local.value),
                                      success="Webhook added") is not None:
                await self.rerender()

        return ft.Column([
            *heading("Webhooks", "Agent replies and missed response targets are posted to these addresses, "
                                       "signed in X-Helpdesk-Signature, retried until the receiver answers 2xx."),
            *cards,
            ft.Text("Add a webhook", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Row([url, description, *boxes.values(), local, ft.FilledButton("Add webhook", on_click=add)], wrap=True),
        ], spacing=12, scroll=ft.ScrollMode.AUTO)

    async def _edit_webhook(self, hook: Any) -> None:
        url = ft.TextField(on_change=sync_value, label="Receiver URL", value=hook.url, autofocus=True)
        description = ft.TextField(on_change=sync_value, label="What is it?", value=hook.description)
        boxes = {event: ft.Checkbox(label=event, value=event in hook.events) for event in WEBHOOK_EVENTS}
        local = ft.Checkbox(label=LOCAL_LABEL, value=hook.allow_local, tooltip=LOCAL_HELP)

        async def save(e: Any) -> None:
            chosen = [event for event, box in boxes.items() if box.value]
            if await self.ctx.attempt(self.ctx.services.outbox.update_webhook, hook.id, url.value or "", chosen,
                                      description.value or "", self.ctx.actor, bool(local.value),
                                      success="Webhook saved") is not None:
                close_dialog(self.ctx.page)
                await self.rerender()

        self.ctx.page.show_dialog(ft.AlertDialog(title=ft.Text("Edit webhook"), content=ft.Column(
            [url, description, *boxes.values(), local], tight=True, width=480),
            actions=[ft.TextButton("Cancel", on_click=lambda e: close_dialog(self.ctx.page)),
                     ft.FilledButton("Save", on_click=save)]))
        self.ctx.page.update()

    async def _test_webhook(self, hook: Any) -> None:
        loop, attempted = asyncio.get_running_loop(), asyncio.Event()

        def heard(event: Event) -> None:  # on the writer's thread
            if event.data.get("webhook_id") == hook.id:
                loop.call_soon_threadsafe(attempted.set)

        unsubscribe = self.ctx.services.events.subscribe(heard, {WEBHOOK_ATTEMPTED})
        try:
            if await self.ctx.attempt(self.ctx.services.outbox.send_test, hook.id, self.ctx.actor,
                                      success="Test event queued; its delivery shows below") is not None:
                # The outbox worker tries it at once; a receiver that hangs is cut off by the timeout.
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(attempted.wait(), TEST_SHOWN_WITHIN)
                await self.rerender()
        finally:
            unsubscribe()

    async def _toggle_webhook(self, hook: Any) -> None:
        if await self.ctx.attempt(self.ctx.services.outbox.set_active, hook.id, not hook.active, self.ctx.actor) is not None:
            await self.rerender()
