"""Payments in the workspace: "Request payment" beside the reply box (amount, currency, what for),
and each request's card in the thread with its state, "Mark paid" (the transfer arrived) and
"Cancel request". Every way to pay that is set up goes to the customer (Settings › Payments)."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any, Awaitable, Callable

import flet as ft

from helpdesk.services.payments.card import PaymentCard
from helpdesk.services.promise import shop_time
from helpdesk.ui.context import UiContext
from helpdesk.ui.widgets import close_dialog, sync_value

CURRENCIES = ("EUR", "CHF", "GBP", "USD", "SEK", "DKK", "NOK", "PLN", "CZK", "HUF", "CAD", "AUD", "JPY")
Refresh = Callable[..., Awaitable[None]]


def state_words(card: PaymentCard, zone: tzinfo | None) -> tuple[str, str]:
    """(words, colour) for the card's state, as the team reads it."""
    if card.status == "paid" and card.paid_at is not None:
        how = "through Stripe" if card.paid_via == "stripe" else "marked by hand"
        return f"Paid {shop_time(card.paid_at, zone)} · {how}", ft.Colors.GREEN_800
    if card.status == "requested":
        until = f" · until {shop_time(card.expires_at, zone)}" if card.expires_at else ""
        stripe = {"pending": " · card link waiting for the internet", "failed": f" · no card link: {card.stripe_error}"}
        return f"Waiting for payment{until}{stripe.get(card.stripe_state, '')}", ft.Colors.ON_SURFACE_VARIANT
    return card.status.capitalize(), ft.Colors.ON_SURFACE_VARIANT


def card_tools(ctx: UiContext, zone: tzinfo | None, refresh: Refresh) -> Callable[[Any, PaymentCard], list[ft.Control]]:
    async def close(card: PaymentCard, paid: bool) -> None:
        if paid:
            sure = await ctx.confirm("Mark as paid", f"{card.money} for {card.description} arrived (reference "
                                     f"{card.reference_spaced})? The customer is told it was received.",
                                     "Mark as paid", "Not yet")
        else:
            sure = await ctx.confirm("Cancel the payment request", f"The customer's card for {card.money} will say "
                                     "it was cancelled.", "Cancel request", "Keep it")
        if not sure:
            return
        action = ctx.services.payments.mark_paid if paid else ctx.services.payments.cancel  # after confirm's dialog
        if await ctx.attempt(action, card.id, ctx.actor,
                             success="Marked as paid" if paid else "Payment request cancelled") is not None:
            await refresh()

    def tools(_message: Any, card: PaymentCard) -> list[ft.Control]:
        words, color = state_words(card, zone)
        controls: list[ft.Control] = [ft.Row([ft.Icon(ft.Icons.PAYMENTS_OUTLINED, size=18, color=color),
                                              ft.Text(words, size=12, color=color, expand=True)],
                                             spacing=6),
                                      ft.Text(f"Reference {card.reference_spaced}", size=12, selectable=True,
                                              color=ft.Colors.ON_SURFACE_VARIANT)]
        if card.status == "requested":
            controls.append(ft.Row([
                ft.OutlinedButton("Mark paid", icon=ft.Icons.DONE, tooltip="The transfer arrived",
                                  on_click=lambda e: ctx.page.run_task(close, card, True)),
                ft.TextButton("Cancel request", on_click=lambda e: ctx.page.run_task(close, card, False))],
                spacing=8, wrap=True))
        return controls
    return tools


async def request_payment(ctx: UiContext, conversation_id: int, refresh: Refresh) -> None:
    """The dialog: amount, currency, what for; sent as a card in the thread."""
    page = ctx.page
    ways = await ctx.read(ctx.services.payments.ways.now_set)
    if not ways.any:
        ctx.toast("No way to pay is set up yet: add a bank account, Stripe or a payment link in Settings › Payments",
                  error=True)
        return
    amount = ft.TextField(label="Amount", hint_text="49.90", width=160, autofocus=True, on_change=sync_value,
                          keyboard_type=ft.KeyboardType.NUMBER)
    currency = ft.Dropdown(label="Currency", width=130, value=ways.currency,
                           options=[ft.DropdownOption(c) for c in CURRENCIES])
    what = ft.TextField(label="What for", hint_text="Brake service", max_length=140, on_change=sync_value)
    shown = [w for w in ("bank transfer" if ways.bank else "", "card (Stripe)" if ways.stripe_api else "",
                         "your payment link" if ways.link else "") if w]

    async def send(_e: Any) -> None:
        # No toast before the dialog is gone: a snack bar is a dialog too, and would be the one popped.
        card = await ctx.attempt(ctx.services.payments.request, conversation_id, ctx.actor, amount.value or "",
                                 currency.value or "", what.value or "")
        if card is not None:  # on a refusal the dialog stays, with the reason above it
            close_dialog(page)
            ctx.toast(f"Payment request sent: {card.money}")
            await refresh()

    page.show_dialog(ft.AlertDialog(
        title=ft.Text("Request payment"),
        content=ft.Column([ft.Row([amount, currency], spacing=12), what,
                           ft.Text("The customer can pay by " + ", ".join(shown) + ".", size=12,
                                   color=ft.Colors.ON_SURFACE_VARIANT)], tight=True, width=420, spacing=12),
        actions=[ft.TextButton("Cancel", on_click=lambda e: close_dialog(page)),
                 ft.FilledButton("Send request", icon=ft.Icons.SEND, on_click=send)]))
    page.update()
