"""Settings › Payments: the ways a customer can pay a request, any combination. A bank account
(details and, for EUR, a QR code their banking app scans; works offline, no provider), Stripe
(card payments on Stripe's page; its keys are kept and never shown again), and a payment link of
the shop's own. docs/payments.md says what the customer sees."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.widgets import sync_value
from helpdesk.ui.workspace.payments import CURRENCIES


def _field(label: str, value: str = "", hint: str = "", width: int = 320, password: bool = False) -> ft.TextField:
    return ft.TextField(on_change=sync_value, label=label, value=value, hint_text=hint, width=width, dense=True,
                        password=password, can_reveal_password=password)


class PaymentsSection(Section):

    async def build(self) -> ft.Control:
        services, ctx = self.ctx.services, self.ctx
        ways = await ctx.read(services.payments.ways.now_set)
        bank = ways.bank
        holder = _field("Account holder", bank.holder if bank else "", "Bike Shop Gerber")
        iban = _field("IBAN", bank.iban_spaced if bank else "", "DE89 3704 0044 0532 0130 00", 340)
        bic = _field("BIC (optional)", bank.bic if bank else "", "COBADEFFXXX", 180)
        secret_key = _field("Secret key", "", "sk_live_… (kept, never shown again)", 340, password=True)
        webhook_secret = _field("Webhook signing secret", "", "whsec_…", 340, password=True)
        api_url = _field("API address", ways.stripe_api or "https://api.stripe.com", width=340)
        link = _field("Payment link", ways.link, "https://paypal.me/bikeshop/{amount}EUR", 460)
        days = _field("Days a request stays open", str(ways.expire_days), width=220)
        currency = ft.Dropdown(label="Currency to start with", width=200, dense=True, value=ways.currency,
                               options=[ft.DropdownOption(c) for c in CURRENCIES])
        hook = f"{services.links.public_url() or services.links.base_url()}/api/v1/payments/stripe"

        async def saved(result: Any) -> None:
            if result is not None:
                await self.rerender()

        async def save_bank(_e: Any) -> None:
            await saved(await ctx.attempt(services.payments.ways.set_bank, ctx.actor, holder.value or "", iban.value or "",
                              bic.value or "", success="Bank account saved"))

        async def save_stripe(_e: Any) -> None:
            await saved(await ctx.attempt(services.payments.ways.set_stripe, ctx.actor, secret_key.value or "",
                              webhook_secret.value or "", api_url.value or "",
                              success="Stripe saved"))

        async def save_link(_e: Any) -> None:
            await saved(await ctx.attempt(services.payments.ways.set_link, ctx.actor, link.value or "",
                              success="Payment link saved"))

        async def save_defaults(_e: Any) -> None:
            try:
                wanted = int((days.value or "").strip())
            except ValueError:
                wanted = 0
            await saved(await ctx.attempt(services.payments.ways.set_defaults, ctx.actor, wanted, currency.value or "EUR",
                              success="Saved"))

        async def remove(kind: str, words: str) -> None:
            if await ctx.confirm(f"Remove {words}?", "Requests already sent keep what they showed; new ones will "
                                 f"not offer {words}.", "Remove", "Keep"):
                await saved(await ctx.attempt(services.payments.ways.remove, ctx.actor, kind,
                                  success=f"{words.capitalize()} removed"))

        def state(on: bool, words: str) -> ft.Control:
            return ft.Row([ft.Icon(ft.Icons.CHECK_CIRCLE if on else ft.Icons.RADIO_BUTTON_UNCHECKED, size=18,
                                   color=ft.Colors.GREEN_700 if on else ft.Colors.OUTLINE),
                           ft.Text(words if on else "Not set up", size=12)], spacing=6)

        def removing(on: bool, kind: str, words: str) -> list[ft.Control]:
            return [ft.TextButton(f"Remove {words}", on_click=lambda e: ctx.page.run_task(remove, kind, words))] \
                if on else []

        title = ft.TextThemeStyle.TITLE_MEDIUM
        muted = ft.Colors.ON_SURFACE_VARIANT
        return ft.Column([
            *heading("Payments", "How customers pay a request you send from a conversation (Request payment, beside "
                                 "the reply box). Offer any of these; the customer sees every one set up here."),
            ft.Text("Bank transfer", theme_style=title),
            state(bank is not None, "Customers get the account details and, for euros, a QR code their banking app "
                                    "scans with the amount and reference filled in. Works offline."),
            ft.Text("Each request carries its own reference (RF…), so a line on your bank statement names the "
                    "conversation it pays. Mark it paid when the money arrives.", size=12, color=muted),
            ft.Row([holder, iban, bic], wrap=True),
            ft.Row([ft.FilledButton("Save bank account", on_click=save_bank),
                    *removing(bank is not None, "bank", "the bank account")]),
            ft.Divider(),
            ft.Text("Card payments (Stripe)", theme_style=title),
            state(bool(ways.stripe_api), "Set up: a request gets a Stripe Checkout link; paid ones close themselves."),
            ft.Text(f"In Stripe's dashboard, add a webhook endpoint at {hook} for the event "
                    "checkout.session.completed, and paste its signing secret here. Without internet, links are "
                    "made once it is back.", size=12, color=muted, selectable=True),
            ft.Row([secret_key, webhook_secret], wrap=True), api_url,
            ft.Row([ft.FilledButton("Save Stripe", on_click=save_stripe),
                    *removing(bool(ways.stripe_api), "stripe", "Stripe")]),
            ft.Divider(),
            ft.Text("Your own payment link", theme_style=title),
            state(bool(ways.link), "Customers get a Pay online button."),
            ft.Text("Any https:// address with {amount} in it, and {reference} if your provider takes one, e.g. "
                    "https://paypal.me/bikeshop/{amount}EUR", size=12, color=muted, selectable=True),
            link,
            ft.Row([ft.FilledButton("Save payment link", on_click=save_link),
                    *removing(bool(ways.link), "link", "the payment link")]),
            ft.Divider(),
            ft.Text("Requests", theme_style=title),
            ft.Text("An unpaid request expires after this many days (its card says so; a payment that arrives later "
                    "still counts).", size=12, color=muted),
            ft.Row([days, currency, ft.FilledButton("Save", on_click=save_defaults)], wrap=True),
        ], spacing=12, scroll=ft.ScrollMode.AUTO)
