"""Settings for admins: agents, API tokens, canned replies, connecting another device."""

from __future__ import annotations

import asyncio
import io
from datetime import date, time
from typing import TYPE_CHECKING, Any

import flet as ft

from helpdesk.ui.widgets import sync_value
import segno

from helpdesk.netinfo import lan_urls
from helpdesk.jobs.runner import JOBS
from helpdesk.models import PRIORITIES
from helpdesk.services.calendar import BusinessCalendar
from helpdesk.services.canned import VARIABLES
from helpdesk.services.outbox import WEBHOOK_EVENTS
from helpdesk.ui import format as fmt

if TYPE_CHECKING:
    from helpdesk.ui.workspace import Workspace

SECTIONS = [("Agents", ft.Icons.GROUP_OUTLINED), ("API tokens", ft.Icons.KEY_OUTLINED),
            ("Canned replies", ft.Icons.QUICKREPLY_OUTLINED), ("Response targets", ft.Icons.ALARM),
            ("Webhooks", ft.Icons.WEBHOOK), ("Jobs", ft.Icons.SCHEDULE),
            ("Connect a device", ft.Icons.DEVICES_OUTLINED)]


def qr_png(text: str) -> bytes:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()


class SettingsView:
    def __init__(self, workspace: "Workspace") -> None:
        self.ws = workspace
        self.app = workspace.app
        self.page = workspace.page
        self.services = workspace.services
        self.actor = workspace.actor
        self.section = 0
        self.content = ft.Container(expand=True, padding=24)

    async def show(self) -> None:
        if self.ws._ticker:
            self.ws._ticker.cancel()
        self.ws.services.presence.left(self.app.presence_key)
        rail = ft.NavigationRail(
            selected_index=0, label_type=ft.NavigationRailLabelType.ALL, min_width=110,
            destinations=[ft.NavigationRailDestination(icon=icon, label=label) for label, icon in SECTIONS],
            on_change=self._on_section)
        self.page.appbar = ft.AppBar(
            leading=ft.IconButton(ft.Icons.ARROW_BACK, tooltip="Back to the inbox",
                                  on_click=lambda e: self.page.run_task(self.ws.restore)),
            title=ft.Text("Settings"), bgcolor=ft.Colors.SURFACE_CONTAINER)
        self.page.on_keyboard_event = None
        self.page.controls.clear()
        self.page.add(ft.Row([rail, ft.VerticalDivider(width=1), self.content], expand=True,
                             vertical_alignment=ft.CrossAxisAlignment.STRETCH))
        await self.render()

    async def _on_section(self, e: Any) -> None:
        self.section = e.control.selected_index or 0
        await self.render()

    async def render(self) -> None:
        builder = [self._agents, self._tokens, self._canned, self._targets, self._webhooks, self._jobs,
                   self._devices][self.section]
        self.content.content = await builder()
        self.page.update()

    @staticmethod
    def _heading(title: str, text: str) -> list[ft.Control]:
        return [ft.Text(title, theme_style=ft.TextThemeStyle.HEADLINE_SMALL),
                ft.Text(text, color=ft.Colors.ON_SURFACE_VARIANT)]

    # ---- agents ---------------------------------------------------------------------------

    async def _agents(self) -> ft.Control:
        agents = await self.app.read(self.services.agents.list)
        rows = []
        for a in agents:
            actions: list[ft.Control] = [ft.TextButton("Reset password", on_click=lambda e, a=a: self.page.run_task(
                self._reset_password, a))]
            if a.id != self.actor.id:
                actions.append(ft.TextButton("Deactivate" if a.active else "Activate",
                                             on_click=lambda e, a=a: self.page.run_task(self._toggle, a)))
            rows.append(ft.DataRow(cells=[
                ft.DataCell(ft.Text(a.name)), ft.DataCell(ft.Text(a.email)), ft.DataCell(ft.Text(a.role)),
                ft.DataCell(ft.Text("active" if a.active else "deactivated")), ft.DataCell(ft.Row(actions, tight=True))]))
        name = ft.TextField(on_change=sync_value, label="Name", width=200, dense=True)
        email = ft.TextField(on_change=sync_value, label="Email", width=240, dense=True)
        password = ft.TextField(on_change=sync_value, label="Temporary password", width=220, dense=True, password=True,
                                can_reveal_password=True)
        role = ft.Dropdown(label="Role", width=130, dense=True, value="agent",
                           options=[ft.DropdownOption(key="agent", text="Agent"), ft.DropdownOption(key="admin", text="Admin")])

        async def create(e: Any) -> None:
            done = await self.app.attempt(self.services.agents.create, email.value or "", name.value or "",
                                          password.value or "", role.value or "agent", self.actor,
                                          success=f"{name.value} can now sign in")
            if done is not None:
                await self.render()

        return ft.Column([
            *self._heading("Agents", "Everyone who works in the inbox. Admins also manage settings."),
            ft.DataTable(columns=[ft.DataColumn(ft.Text(h)) for h in ("Name", "Email", "Role", "Status", "")],
                         rows=rows),
            ft.Text("Add an agent", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Row([name, email, password, role, ft.FilledButton("Add agent", on_click=create)], wrap=True),
        ], spacing=16, scroll=ft.ScrollMode.AUTO)

    async def _toggle(self, agent: Any) -> None:
        if await self.app.attempt(self.services.agents.set_active, agent.id, not agent.active, self.actor) is not None:
            if agent.active:
                await self.app.write(self.services.auth.sign_out_everywhere, agent.id)
            await self.render()

    async def _reset_password(self, agent: Any) -> None:
        field = ft.TextField(on_change=sync_value, label="New password (8 characters or more)", password=True, can_reveal_password=True,
                             autofocus=True)

        async def save(e: Any) -> None:
            if await self.app.attempt(self.services.agents.reset_password, agent.id, field.value or "", self.actor,
                                      success=f"Password for {agent.name} changed") is not None:
                self.page.pop_dialog()
                self.page.update()

        self.page.show_dialog(ft.AlertDialog(title=ft.Text(f"Reset password for {agent.name}"), content=field,
                                             actions=[ft.TextButton("Cancel", on_click=lambda e: self.page.pop_dialog()),
                                                      ft.FilledButton("Save", on_click=save)]))
        self.page.update()

    # ---- tokens ----------------------------------------------------------------------------

    async def _tokens(self) -> ft.Control:
        tokens = await self.app.read(self.services.tokens.list)
        rows = [ft.DataRow(cells=[
            ft.DataCell(ft.Text(t.name)), ft.DataCell(ft.Text(t.prefix + "…")),
            ft.DataCell(ft.Text(f"{t.created_at:%Y-%m-%d}")),
            ft.DataCell(ft.Text(f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never")),
            ft.DataCell(ft.Text("revoked" if t.revoked_at else "active")),
            ft.DataCell(ft.TextButton("Revoke", on_click=lambda e, t=t: self.page.run_task(self._revoke, t))
                        if not t.revoked_at else ft.Text("")),
        ]) for t in tokens]
        name = ft.TextField(on_change=sync_value, label="What is it for? (e.g. website)", width=300, dense=True)

        async def create(e: Any) -> None:
            created = await self.app.attempt(self.services.tokens.create, name.value or "", self.actor)
            if created is None:
                return
            await self.render()
            self.page.show_dialog(ft.AlertDialog(
                title=ft.Text(f"Token for {created.token.name}"),
                content=ft.Column([
                    ft.Text("Copy it now: it is shown only once."),
                    ft.TextField(value=created.plaintext, read_only=True, label="API token"),
                    ft.Text("Send it as: Authorization: Bearer <token>", size=12, color=ft.Colors.ON_SURFACE_VARIANT),
                ], tight=True),
                actions=[ft.TextButton("Copy", on_click=lambda e: self.page.run_task(
                    ft.Clipboard().set, created.plaintext)),
                    ft.FilledButton("Done", on_click=lambda e: self.page.pop_dialog())]))
            self.page.update()

        return ft.Column([
            *self._heading("API tokens", "Integrations (your website, an SMS gateway, scripts) post customer "
                                         "messages to /api/v1/messages with one of these."),
            ft.DataTable(columns=[ft.DataColumn(ft.Text(h)) for h in ("Name", "Token", "Created", "Last used",
                                                                      "Status", "")], rows=rows)
            if rows else ft.Text("No tokens yet.", italic=True),
            ft.Row([name, ft.FilledButton("Create token", on_click=create)]),
        ], spacing=16, scroll=ft.ScrollMode.AUTO)

    async def _revoke(self, token: Any) -> None:
        if await self.app.attempt(self.services.tokens.revoke, token.id, self.actor,
                                  success=f"Token {token.name} revoked") is not None:
            await self.render()

    # ---- canned replies ----------------------------------------------------------------------

    async def _canned(self) -> ft.Control:
        replies = await self.app.read(self.services.canned.list)
        items: list[ft.Control] = []
        for r in replies:
            items.append(ft.Card(content=ft.Container(padding=12, content=ft.Column([
                ft.Row([ft.Text(r.title, weight=ft.FontWeight.BOLD, expand=True),
                        ft.IconButton(ft.Icons.EDIT_OUTLINED, tooltip=f"Edit {r.title}",
                                      on_click=lambda e, r=r: self.page.run_task(self._edit_canned, r)),
                        ft.IconButton(ft.Icons.DELETE_OUTLINE, tooltip=f"Delete {r.title}",
                                      on_click=lambda e, r=r: self.page.run_task(self._delete_canned, r))]),
                ft.Text(r.body, size=13),
            ], spacing=4))))
        return ft.Column([
            *self._heading("Canned replies", "Ready answers for the reply box. Variables: " +
                           ", ".join("{{" + v + "}}" for v in VARIABLES)),
            ft.FilledButton("New canned reply", icon=ft.Icons.ADD,
                            on_click=lambda e: self.page.run_task(self._edit_canned, None)),
            *items,
        ], spacing=12, scroll=ft.ScrollMode.AUTO)

    async def _edit_canned(self, reply: Any) -> None:
        title = ft.TextField(on_change=sync_value, label="Title", value=reply.title if reply else "", autofocus=True)
        body = ft.TextField(on_change=sync_value, label="Text", value=reply.body if reply else "Hi {{customer.first_name}},\n\n",
                            multiline=True, min_lines=4, max_lines=10)

        async def save(e: Any) -> None:
            if reply:
                done = await self.app.attempt(self.services.canned.update, reply.id, title.value or "",
                                              body.value or "", self.actor)
            else:
                done = await self.app.attempt(self.services.canned.create, title.value or "", body.value or "",
                                              self.actor)
            if done is not None:
                self.page.pop_dialog()
                await self.render()

        self.page.show_dialog(ft.AlertDialog(title=ft.Text("Edit canned reply" if reply else "New canned reply"),
                                             content=ft.Column([title, body], tight=True, width=480),
                                             actions=[ft.TextButton("Cancel", on_click=lambda e: self.page.pop_dialog()),
                                                      ft.FilledButton("Save", on_click=save)]))
        self.page.update()

    async def _delete_canned(self, reply: Any) -> None:
        if await self.app.attempt(self.services.canned.delete, reply.id, self.actor,
                                  success=f"Deleted {reply.title}") is not None:
            await self.render()

    # ---- response targets ------------------------------------------------------------------

    async def _targets(self) -> ft.Control:
        policies = await self.app.read(self.services.sla.policies)
        calendar = await self.app.read(self.services.sla.calendar)
        rows = []
        editors: dict[str, tuple] = {}
        for priority in PRIORITIES:
            p = policies.get(priority)
            fields = tuple(ft.TextField(on_change=sync_value, value=str(v), width=110, dense=True,
                                        keyboard_type=ft.KeyboardType.NUMBER, label=label)
                           for v, label in ((p.first_response_minutes if p else 240, "First reply"),
                                            (p.next_response_minutes if p else 480, "Next reply"),
                                            (p.resolution_minutes if p else 2400, "Resolution")))
            business = ft.Checkbox(label="business hours", value=p.business_hours if p else True)
            editors[priority] = (*fields, business)
            rows.append(ft.Row([ft.Text(priority.title(), width=80, weight=ft.FontWeight.BOLD), *fields, business],
                               spacing=12))

        async def save_policies(e: Any) -> None:
            for priority, (first, nxt, resolution, business) in editors.items():
                try:
                    values = [int(first.value or 0), int(nxt.value or 0), int(resolution.value or 0)]
                except ValueError:
                    self.app.toast(f"{priority.title()}: targets are whole numbers of minutes.", error=True)
                    return
                if await self.app.attempt(self.services.sla.set_policy, priority, *values, bool(business.value),
                                          self.actor) is None:
                    return
            self.app.toast("Response targets saved; running clocks were updated.")

        days = [ft.Checkbox(label=name, value=bool(calendar.hours.get(i))) for i, name in
                enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))]
        first_day = next(iter(calendar.hours.values()), ((time(9), time(17)),))[0]
        opens = ft.TextField(on_change=sync_value, value=first_day[0].strftime("%H:%M"), width=100, dense=True,
                             label="Opens")
        closes = ft.TextField(on_change=sync_value, value="24:00" if first_day[1] == time.max else
                              first_day[1].strftime("%H:%M"), width=100, dense=True, label="Closes")
        zone = ft.TextField(on_change=sync_value, value=calendar.timezone, width=220, dense=True, label="Time zone")
        holidays = ft.TextField(on_change=sync_value, value=", ".join(d.isoformat() for d in sorted(calendar.holidays)),
                                label="Holidays (YYYY-MM-DD, comma separated)", multiline=True, min_lines=1)

        async def save_calendar(e: Any) -> None:
            try:
                start = time.fromisoformat(opens.value or "")
                end = time.max if (closes.value or "") == "24:00" else time.fromisoformat(closes.value or "")
                if end <= start:
                    raise ValueError("closes before it opens")
                dates = frozenset(date.fromisoformat(d.strip()) for d in (holidays.value or "").split(",") if d.strip())
                new = BusinessCalendar(timezone=(zone.value or "UTC").strip(),
                                       hours={i: ((start, end),) for i, box in enumerate(days) if box.value},
                                       holidays=dates)
                new.tz  # noqa: B018  (an unknown zone fails here)
            except Exception as exc:
                self.app.toast(f"The business hours were not saved: {exc}", error=True)
                return
            await self.app.attempt(self.services.sla.set_calendar, new, self.actor,
                                   success="Business hours saved; running clocks were updated.")

        return ft.Column([
            *self._heading("Response targets", "How soon customers get an answer, per priority, in minutes. "
                           "Clocks run only while a conversation waits on the team; at 80 % it shows as at risk."),
            *rows,
            ft.FilledButton("Save targets", on_click=save_policies),
            ft.Divider(),
            ft.Text("Business hours", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Row(days, spacing=4), ft.Row([opens, closes, zone], wrap=True), holidays,
            ft.FilledButton("Save business hours", on_click=save_calendar),
        ], spacing=12, scroll=ft.ScrollMode.AUTO)

    # ---- webhooks ----------------------------------------------------------------------------

    async def _webhooks(self) -> ft.Control:
        hooks = await self.app.read(self.services.outbox.webhooks)
        now = self.services.clock.now()
        cards: list[ft.Control] = []
        for hook in hooks:
            deliveries = await self.app.read(self.services.outbox.deliveries, hook.id, 8)
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
                                      on_click=lambda e, h=hook: self.page.run_task(self._edit_webhook, h)),
                        ft.TextButton("Send test", icon=ft.Icons.SEND,
                                      on_click=lambda e, h=hook: self.page.run_task(self._test_webhook, h)),
                        ft.TextButton("Disable" if hook.active else "Enable",
                                      on_click=lambda e, h=hook: self.page.run_task(self._toggle_webhook, h))]),
                ft.DataTable(columns=[ft.DataColumn(ft.Text(c)) for c in
                                      ("Event", "Status", "HTTP", "Attempts", "Next try / delivered", "Error")],
                             rows=log_rows) if log_rows else ft.Text("No deliveries yet.", italic=True, size=12),
            ], spacing=8))))
        url = ft.TextField(on_change=sync_value, label="Receiver URL (https://…)", width=420, dense=True)
        description = ft.TextField(on_change=sync_value, label="What is it? (e.g. CRM)", width=220, dense=True)
        boxes = {event: ft.Checkbox(label=event, value=True) for event in WEBHOOK_EVENTS}

        async def add(e: Any) -> None:
            chosen = [event for event, box in boxes.items() if box.value]
            if await self.app.attempt(self.services.outbox.create_webhook, url.value or "", chosen,
                                      description.value or "", self.actor, success="Webhook added") is not None:
                await self.render()

        return ft.Column([
            *self._heading("Webhooks", "Agent replies and missed response targets are posted to these addresses, "
                                       "signed in X-Helpdesk-Signature, retried until the receiver answers 2xx."),
            *cards,
            ft.Text("Add a webhook", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Row([url, description, *boxes.values(), ft.FilledButton("Add webhook", on_click=add)], wrap=True),
        ], spacing=12, scroll=ft.ScrollMode.AUTO)

    async def _edit_webhook(self, hook: Any) -> None:
        url = ft.TextField(on_change=sync_value, label="Receiver URL", value=hook.url, autofocus=True)
        description = ft.TextField(on_change=sync_value, label="What is it?", value=hook.description)
        boxes = {event: ft.Checkbox(label=event, value=event in hook.events) for event in WEBHOOK_EVENTS}

        async def save(e: Any) -> None:
            chosen = [event for event, box in boxes.items() if box.value]
            if await self.app.attempt(self.services.outbox.update_webhook, hook.id, url.value or "", chosen,
                                      description.value or "", self.actor, success="Webhook saved") is not None:
                self.page.pop_dialog()
                await self.render()

        self.page.show_dialog(ft.AlertDialog(title=ft.Text("Edit webhook"), content=ft.Column(
            [url, description, *boxes.values()], tight=True, width=480),
            actions=[ft.TextButton("Cancel", on_click=lambda e: self.page.pop_dialog()),
                     ft.FilledButton("Save", on_click=save)]))
        self.page.update()

    async def _test_webhook(self, hook: Any) -> None:
        if await self.app.attempt(self.services.outbox.send_test, hook.id, self.actor,
                                  success="Test event queued; its delivery shows below") is not None:
            await asyncio.sleep(1.5)  # the outbox worker usually delivers within a second
            await self.render()

    async def _toggle_webhook(self, hook: Any) -> None:
        if await self.app.attempt(self.services.outbox.set_active, hook.id, not hook.active, self.actor) is not None:
            await self.render()

    # ---- jobs --------------------------------------------------------------------------------

    async def _jobs(self) -> ft.Control:
        helpdesk = self.app.helpdesk
        runner = helpdesk.job_runner if helpdesk is not None else None
        statuses = await self.app.read(runner.statuses) if runner else {}
        next_runs = helpdesk.jobs.next_runs() if helpdesk is not None and helpdesk.jobs is not None else {}
        now = self.services.clock.now()
        rows = []
        for spec in JOBS:
            st = statuses.get(spec.id)
            last = fmt.ago(st.last_finished_at, now) if st and st.last_finished_at else "never"
            result = (st.last_result if st else "") or "—"
            error = st.last_error.splitlines()[0] if st and st.last_error else ""
            upcoming = next_runs.get(spec.id)
            rows.append(ft.DataRow(cells=[
                ft.DataCell(ft.Column([ft.Text(spec.name), ft.Text(spec.every + (
                    f", after {self.app.settings.auto_resolve_days} days without a customer message"
                    if spec.id == "auto_resolve" else ""), size=11,
                                                                  color=ft.Colors.ON_SURFACE_VARIANT)], spacing=0)),
                ft.DataCell(ft.Text(last)),
                ft.DataCell(ft.Text(error or result, color=ft.Colors.ERROR if error else None)),
                ft.DataCell(ft.Text(fmt.stamp(upcoming, now, None) if upcoming else self._not_here(helpdesk))),
                ft.DataCell(ft.TextButton("Run now", on_click=lambda e, j=spec.id: self.page.run_task(self._run_job, j))),
            ]))
        return ft.Column([
            *self._heading("Jobs", "Work Helpdesk does on its own. Each job runs one at a time; "
                                   "after the computer was off, each late job runs once at start."),
            ft.DataTable(columns=[ft.DataColumn(ft.Text(h)) for h in ("Job", "Last run", "Last result", "Next run", "")],
                         rows=rows),
        ], spacing=16, scroll=ft.ScrollMode.AUTO)

    @staticmethod
    def _not_here(helpdesk) -> str:  # type: ignore[no-untyped-def]
        if helpdesk is None or helpdesk.jobs is None:
            # On PostgreSQL one of several processes runs the jobs (jobs/leader.py).
            return "not scheduled" if helpdesk is None or helpdesk.db.is_sqlite else "in another Helpdesk process"
        return "—"

    async def _run_job(self, job_id: str) -> None:
        helpdesk = self.app.helpdesk
        if helpdesk is None:
            return
        result = await self.app.read(helpdesk.job_runner.run, job_id)
        self.app.toast(f"Done: {result}", error=result == "failed")
        await self.render()

    # ---- devices -----------------------------------------------------------------------------

    async def _devices(self) -> ft.Control:
        port = self.app.settings.port
        urls = lan_urls(port) if self.app.settings.host in ("0.0.0.0", "::") else []
        if self.app.settings.public_url:
            urls.insert(0, self.app.settings.public_url + "/")
        cards: list[ft.Control] = []
        for url in urls:
            cards.append(ft.Card(content=ft.Container(padding=16, content=ft.Row([
                ft.Image(src=qr_png(url), width=180, height=180, semantics_label=f"QR code for {url}"),
                ft.Column([ft.Text(url, theme_style=ft.TextThemeStyle.TITLE_LARGE, selectable=True),
                           ft.Text("Open this address in a browser on a phone, tablet or laptop on the same "
                                   "network, or scan the code.", width=360),
                           ft.TextButton("Copy address", icon=ft.Icons.COPY, on_click=lambda e, u=url: self.page.run_task(
                               ft.Clipboard().set, u))], spacing=8),
            ], spacing=24))))
        if not urls:
            cards.append(ft.Text(f"Helpdesk listens only on {self.app.settings.host}. Start it with "
                                 "--host 0.0.0.0 to let other devices connect.", italic=True))
        return ft.Column([
            *self._heading("Connect another device",
                           "Colleagues sign in from their own browser with their own account; everyone sees the "
                           "same inbox, live. The first time, the computer's firewall may ask to allow Helpdesk."),
            *cards,
        ], spacing=16, scroll=ft.ScrollMode.AUTO)
