"""The second step of signing in: the code from the authenticator app (or a recovery code), and,
when the shop requires it of an agent who has none yet, setting it up there and then. Also the
set-up from the account menu, which shares the QR code and the recovery codes' card."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

import flet as ft

from helpdesk.services.container import Services
from helpdesk.services.auth import SecondStep, SignedIn, SignInFailed
from helpdesk.services.errors import ServiceError
from helpdesk.services.twostep import Enrolment
from helpdesk.ui.format import explain
from helpdesk.ui.qr import qr_png
from helpdesk.ui.widgets import sync_value

SignedInHandler = Callable[[SignedIn, bool], Awaitable[None]]


def code_field(label: str = "6-digit code") -> ft.TextField:
    return ft.TextField(on_change=sync_value, label=label, autofocus=True, keyboard_type=ft.KeyboardType.NUMBER,
                        autofill_hints=ft.AutofillHint.ONE_TIME_CODE)


def code_form(page: ft.Page, services: Services, step: SecondStep, remember: bool, done: SignedInHandler,
              back: Callable[[], Awaitable[None]]) -> ft.Control:
    code = code_field("Code")
    error = ft.Text("", color=ft.Colors.ERROR, visible=False)
    button = ft.FilledButton("Verify")

    async def submit(_e: Any) -> None:
        button.disabled = True
        error.visible = False
        page.update()
        try:
            signed = await asyncio.to_thread(services.auth.finish, step.ticket, code.value or "")
        except SignInFailed as exc:
            await asyncio.sleep(exc.delay_seconds)
            error.value = exc.message[0].upper() + exc.message[1:] + "."
            error.visible = True
            button.disabled = False
            code.value = ""
            page.update()
            return
        await done(signed, remember)

    async def go_back(_e: Any) -> None:
        await back()

    button.on_click = submit
    code.on_submit = submit
    return ft.Column([
        ft.Text("Two-step sign-in", theme_style=ft.TextThemeStyle.HEADLINE_SMALL),
        ft.Text(f"{step.agent_name}, enter the 6-digit code your authenticator app shows for Helpdesk. Lost your "
                "phone? Enter one of your recovery codes instead.", color=ft.Colors.ON_SURFACE_VARIANT),
        code, error,
        ft.Row([ft.TextButton("Back", on_click=go_back), button], alignment=ft.MainAxisAlignment.SPACE_BETWEEN),
    ], tight=True, spacing=14)


def enrolment_card(enrolment: Enrolment, intro: str) -> list[ft.Control]:
    """The QR code to scan, and the secret to type when the camera cannot scan."""
    grouped = " ".join(enrolment.secret[i:i + 4] for i in range(0, len(enrolment.secret), 4))
    return [
        ft.Text(intro, color=ft.Colors.ON_SURFACE_VARIANT),
        ft.Row([ft.Image(src=qr_png(enrolment.uri), width=180, height=180,
                         semantics_label="QR code to scan with the authenticator app")],
               alignment=ft.MainAxisAlignment.CENTER),
        ft.Text("Cannot scan? Type this key into the app:", size=12, color=ft.Colors.ON_SURFACE_VARIANT),
        ft.Text(grouped, selectable=True, font_family="monospace", weight=ft.FontWeight.W_500),
    ]


def recovery_card(codes: list[str]) -> list[ft.Control]:
    # Plain text (a screen reader reads it; selectable text it would not), and a button to copy them all.
    async def copy(_e: Any) -> None:
        await ft.Clipboard().set("Helpdesk recovery codes (each works once):\n" + "\n".join(codes))

    return [
        ft.Text("Your recovery codes", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
        ft.Text("Each works once, instead of a code from your phone. Print them or keep them somewhere safe: they "
                "are shown only now.", color=ft.Colors.ON_SURFACE_VARIANT),
        ft.Container(ft.Text("\n".join(f"{a}    {b}" for a, b in zip(codes[0::2], codes[1::2])), size=15,
                             font_family="monospace"),
                     padding=12, border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT), border_radius=8),
        ft.TextButton("Copy the codes", icon=ft.Icons.CONTENT_COPY, on_click=copy),
    ]


async def enrol_form(page: ft.Page, services: Services, step: SecondStep, remember: bool, done: SignedInHandler,
                     show: Callable[[ft.Control], None]) -> ft.Control:
    """The shop requires a second step and this agent has none: set it up before the inbox."""
    enrolment = await asyncio.to_thread(services.auth.enrolment, step.ticket)
    code = code_field()
    error = ft.Text("", color=ft.Colors.ERROR, visible=False)
    button = ft.FilledButton("Confirm")

    async def submit(_e: Any) -> None:
        try:
            signed, codes = await asyncio.to_thread(services.auth.finish_enrolment, step.ticket, code.value or "")
        except (SignInFailed, ServiceError) as exc:
            error.value = explain(exc) if not isinstance(exc, SignInFailed) else exc.message
            error.visible = True
            code.value = ""
            page.update()
            return

        async def go(_e: Any) -> None:
            await done(signed, remember)

        show(ft.Column([*recovery_card(codes), ft.Row([ft.FilledButton("I have kept them: open the inbox",
                                                                         on_click=go)],
                                                        alignment=ft.MainAxisAlignment.END)],
                       tight=True, spacing=14))

    button.on_click = submit
    code.on_submit = submit
    return ft.Column([
        ft.Text("Set up two-step sign-in", theme_style=ft.TextThemeStyle.HEADLINE_SMALL),
        *enrolment_card(enrolment, f"{step.agent_name}, this shop asks for a code from your phone after the password. "
                                   "Scan this with an authenticator app (Google Authenticator, Microsoft "
                                   "Authenticator, 2FAS, Aegis…), then enter the code it shows."),
        code, error, ft.Row([button], alignment=ft.MainAxisAlignment.END),
    ], tight=True, spacing=12, scroll=ft.ScrollMode.AUTO)
