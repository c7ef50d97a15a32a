"""Settings › Audit log: who did what, when and from where — sign-ins (and failed ones), second
steps, settings, agents, tokens, channels, exports and erasures; the conversations' own changes
on request. A search, and the list as CSV."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.services.auth import describe_client
from helpdesk.ui import format as fmt
from helpdesk.ui.downloads import hand_over
from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.widgets import sync_value

SHOWN = 200
# What each action is, in words (the CSV and the API keep the names); others show their name.
WORDS = {
    "agent.signed_in": "Signed in", "agent.sign_in_failed": "Sign-in failed", "agent.created": "Added an agent",
    "agent.activated": "Activated an agent", "agent.deactivated": "Deactivated an agent",
    "agent.password_reset": "Changed a password", "agent.availability": "Changed availability",
    "agent.two_step_enabled": "Turned on two-step sign-in", "agent.two_step_disabled": "Turned off two-step sign-in",
    "agent.two_step_reset": "Reset two-step sign-in", "agent.recovery_codes_renewed": "Made new recovery codes",
    "agent.device_signed_out": "Signed a device out", "agent.signed_out_others": "Signed out other devices",
    "agent.signed_out_everywhere": "Signed an agent out everywhere", "security.policy": "Changed sign-in rules",
    "customer.exported": "Exported a customer's data", "customer.erased": "Erased a customer",
    "customer.renamed": "Renamed a customer", "customer.linked": "Linked two customers",
    "privacy.retention": "Changed retention", "privacy.retention_erased": "Erased old conversations",
    "spam.erased": "Erased old spam", "blocklist.added": "Blocked a sender", "blocklist.removed": "Unblocked a sender",
    "token.created": "Created an API token", "token.revoked": "Revoked an API token",
    "token.display_name": "Named a bot", "token.first_responder": "Made a bot answer first",
    "mailbox.added": "Added a mailbox", "mailbox.changed": "Changed a mailbox", "mailbox.removed": "Removed a mailbox",
    "channel.added": "Added a channel", "channel.changed": "Changed a channel", "channel.removed": "Removed a channel",
    "webhook.created": "Added a webhook", "webhook.updated": "Changed a webhook", "webhook.enabled": "Enabled a webhook",
    "webhook.disabled": "Disabled a webhook", "rule.created": "Added a rule", "rule.updated": "Changed a rule",
    "rule.deleted": "Deleted a rule", "rule.enabled": "Turned a rule on", "rule.disabled": "Turned a rule off",
    "rule.moved": "Moved a rule", "rule.imported": "Imported rules", "canned.created": "Added a canned reply",
    "canned.updated": "Changed a canned reply", "canned.deleted": "Deleted a canned reply",
    "logo.changed": "Changed the logo", "team.renamed": "Renamed the team",
    "public_url.changed": "Changed the public address", "assist.configured": "Set up assist",
    "job.run_by_hand": "Ran a job by hand", "conversation.status": "Changed a status",
    "conversation.spam": "Moved to spam",
}


def describe(detail: dict, agents: dict[int, str]) -> str:
    shown = {k: v for k, v in detail.items() if v not in (None, "", [], {}) and k != "client"}
    if isinstance(shown.get("agent_id"), int):  # who it was done to, by name
        shown = {"agent": agents.get(shown.pop("agent_id"), "a removed agent"), **shown}
    if "client" in detail:  # a browser's user agent, in words
        shown = {"device": describe_client(str(detail["client"]).partition(" ")[2], ""), **shown}
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in shown.items())[:160]


class AuditSection(Section):
    text = ""
    everything = False

    async def build(self) -> ft.Control:
        services = self.ctx.services
        rows = await self.ctx.read(services.auditlog.recent, self.text, not self.everything, SHOWN)
        agents = {a.id: a.name for a in await self.ctx.read(services.agents.list)}
        now = services.clock.now()
        search = ft.TextField(on_change=sync_value, label="Search", hint_text="sign_in, erased, 192.168.1.",
                              width=300, dense=True, value=self.text, prefix_icon=ft.Icons.SEARCH,
                              on_submit=lambda e: self.ctx.page.run_task(self._search, e.control.value))
        everything = ft.Checkbox(label="Also conversations' changes", value=self.everything,
                                 on_change=lambda e: self.ctx.page.run_task(self._everything, e.control.value))

        async def download(_e: Any) -> None:
            every = await self.ctx.read(services.auditlog.recent, self.text, not self.everything, 5000)
            data = services.auditlog.csv(every).encode("utf-8-sig")  # a spreadsheet reads the accents right
            await hand_over(self.ctx, "helpdesk-audit-log.csv", "text/csv", lambda out: out.write(data))

        table = ft.DataTable(columns=[ft.DataColumn(ft.Text(h)) for h in ("When", "Who", "What", "From", "Detail")],
                             rows=[ft.DataRow(cells=[
                                 ft.DataCell(ft.Text(fmt.stamp(r.at, now, None))), ft.DataCell(ft.Text(r.actor_name)),
                                 ft.DataCell(ft.Text(WORDS.get(r.action, r.action) + (
                                     f" #{r.conversation_id}" if r.conversation_id else ""), tooltip=r.action)),
                                 ft.DataCell(ft.Text(r.address or "—")),
                                 ft.DataCell(ft.Text(describe(r.detail, agents), size=12))]) for r in rows])
        return ft.Column([
            *heading("Audit log", "Every sign-in and failed sign-in, second-step change, admin action, export and "
                                  "erasure, with who, when and from where. Kept two years."),
            ft.Row([search, everything, ft.OutlinedButton("Download CSV", icon=ft.Icons.DOWNLOAD, on_click=download)],
                   wrap=True),
            table if rows else ft.Text("Nothing matches.", italic=True),
            ft.Text(f"The newest {SHOWN} are shown; the CSV has up to 5,000, the API all "
                    "(GET /api/v1/audit).", size=12, color=ft.Colors.ON_SURFACE_VARIANT) if len(rows) == SHOWN
            else ft.Container(),
        ], spacing=12, scroll=ft.ScrollMode.AUTO)

    async def _search(self, text: str) -> None:
        AuditSection.text = text or ""
        await self.rerender()

    async def _everything(self, value: bool) -> None:
        AuditSection.everything = bool(value)
        await self.rerender()

