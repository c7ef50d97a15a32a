"""Settings for admins, one section a file: agents, mailboxes, channels (phones and messaging apps), API tokens, canned replies,
response targets, automation rules, assist, payments, webhooks, privacy (retention, blocklist), the audit log, jobs, connecting another device, this computer (version, start at login, updates)."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.ui.context import UiContext
from helpdesk.ui.settings.agents import AgentsSection
from helpdesk.ui.settings.assist import AssistSection
from helpdesk.ui.settings.audit import AuditSection
from helpdesk.ui.settings.automation import AutomationSection
from helpdesk.ui.settings.canned import CannedSection
from helpdesk.ui.settings.channels import ChannelsSection
from helpdesk.ui.settings.common import Section
from helpdesk.ui.settings.customer_page import CustomerPageSection
from helpdesk.ui.settings.devices import DevicesSection
from helpdesk.ui.settings.jobs import JobsSection
from helpdesk.ui.settings.mailboxes import MailboxesSection
from helpdesk.ui.settings.payments import PaymentsSection
from helpdesk.ui.settings.privacy import PrivacySection
from helpdesk.ui.settings.targets import TargetsSection
from helpdesk.ui.settings.this_computer import ThisComputerSection
from helpdesk.ui.settings.help_center import HelpCenterSection
from helpdesk.ui.settings.macros import MacrosSection
from helpdesk.ui.settings.teams import TeamsSection
from helpdesk.ui.settings.tokens import TokensSection
from helpdesk.ui.settings.webhooks import WebhooksSection

SECTIONS: list[tuple[str, str, type[Section]]] = [
    ("Agents", ft.Icons.GROUP_OUTLINED, AgentsSection), ("Teams", ft.Icons.GROUPS_2_OUTLINED, TeamsSection),
    ("Mailboxes", ft.Icons.MAIL_OUTLINE, MailboxesSection),
    ("Channels", ft.Icons.SMS_OUTLINED, ChannelsSection),
    ("API tokens", ft.Icons.KEY_OUTLINED, TokensSection),
    ("Canned replies", ft.Icons.QUICKREPLY_OUTLINED, CannedSection), ("Macros", ft.Icons.BOLT, MacrosSection),
    ("Response targets", ft.Icons.ALARM, TargetsSection),
    ("Automation", ft.Icons.AUTO_MODE, AutomationSection), ("Assist", ft.Icons.AUTO_AWESOME_OUTLINED, AssistSection),
    ("Customer page", ft.Icons.STOREFRONT_OUTLINED, CustomerPageSection),
    ("Help center", ft.Icons.MENU_BOOK_OUTLINED, HelpCenterSection),
    ("Payments", ft.Icons.PAYMENTS_OUTLINED, PaymentsSection),
    ("Webhooks", ft.Icons.WEBHOOK, WebhooksSection),
    ("Privacy", ft.Icons.PRIVACY_TIP_OUTLINED, PrivacySection), ("Audit log", ft.Icons.POLICY_OUTLINED, AuditSection),
    ("Jobs", ft.Icons.SCHEDULE, JobsSection),
    ("Connect a device", ft.Icons.DEVICES_OUTLINED, DevicesSection),
    ("This computer", ft.Icons.COMPUTER_OUTLINED, ThisComputerSection)]
RAIL_ROW = 64  # a destination's height with its label


class SettingsScreen:
    def __init__(self, ctx: UiContext) -> None:
        self.ctx = ctx
        self.section = 0
        self.content = ft.Container(expand=True, padding=24)

    async def show(self) -> None:
        page = self.ctx.page
        rail = ft.NavigationRail(
            selected_index=0, label_type=ft.NavigationRailLabelType.ALL, min_width=110, on_change=self._on_section,
            destinations=[ft.NavigationRailDestination(icon=icon, label=label) for label, icon, _ in SECTIONS])
        page.appbar = self.ctx.back_bar("Settings")
        page.controls.clear()
        # The sections outnumber what a laptop's window shows at once: the rail scrolls.
        sections = ft.Column([ft.Container(rail, height=RAIL_ROW * len(SECTIONS) + 16)], scroll=ft.ScrollMode.AUTO)
        page.add(ft.Row([sections, ft.VerticalDivider(width=1), self.content], expand=True,
                        vertical_alignment=ft.CrossAxisAlignment.STRETCH))
        await self.render()

    async def _on_section(self, e: Any) -> None:
        self.section = e.control.selected_index or 0
        await self.render()

    async def render(self) -> None:
        section = SECTIONS[self.section][2](self.ctx, self.render)
        self.content.content = await section.build()
        self.ctx.page.update()
