"""Signing in, and the first run that creates the owner account."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

import flet as ft

from helpdesk import __version__
from helpdesk.services import Services
from helpdesk.services.auth import SignedIn, SignInFailed
from helpdesk.services.errors import ServiceError
from helpdesk.ui.format import explain
from helpdesk.ui.widgets import sync_value

SignedInHandler = Callable[[SignedIn, bool], Awaitable[None]]


def card(page: ft.Page, content: ft.Control) -> None:
    page.controls.clear()
    page.appbar = None
    page.navigation_bar = None
    page.add(ft.Container(
        expand=True, alignment=ft.Alignment.CENTER, bgcolor=ft.Colors.SURFACE_CONTAINER_LOW,
        content=ft.Card(content=ft.Container(content=content, padding=32, width=420), elevation=2)))
    page.update()


def sign_in_form(page: ft.Page, services: Services, done: SignedInHandler) -> ft.Control:
    email = ft.TextField(on_change=sync_value, label="Email", autofocus=True, keyboard_type=ft.KeyboardType.EMAIL,
                         autofill_hints=ft.AutofillHint.EMAIL)
    password = ft.TextField(on_change=sync_value, label="Password", password=True, can_reveal_password=True,
                            autofill_hints=ft.AutofillHint.PASSWORD)
    remember = ft.Checkbox(label="Remember this device", value=True)
    error = ft.Text("", color=ft.Colors.ERROR, visible=False)
    button = ft.FilledButton("Sign in")

    async def submit(_e: Any) -> None:
        button.disabled = True
        error.visible = False
        page.update()
        client = f"{page.client_ip or 'desktop'} {page.client_user_agent or ''}"
        try:
            # Password hashing takes a while: a worker thread, not the writer (intake keeps flowing).
            signed = await asyncio.to_thread(services.auth.sign_in, email.value or "", password.value or "",
                                             bool(remember.value), page.client_ip, client)
        except SignInFailed as exc:
            await asyncio.sleep(exc.delay_seconds)  # slows guessing without blocking anyone else
            error.value = exc.message[0].upper() + exc.message[1:] + "."
            error.visible = True
            button.disabled = False
            password.value = ""
            page.update()
            return
        await done(signed, bool(remember.value))

    button.on_click = submit
    password.on_submit = submit
    email.on_submit = submit
    return ft.Column([
        ft.Row([ft.Icon(ft.Icons.FORUM_OUTLINED, color=ft.Colors.PRIMARY, size=32),
                ft.Text("Helpdesk", theme_style=ft.TextThemeStyle.HEADLINE_MEDIUM)]),
        ft.Text("Sign in to the shared inbox", color=ft.Colors.ON_SURFACE_VARIANT),
        email, password, remember, error,
        ft.Row([ft.Text(f"version {__version__}", size=11, color=ft.Colors.OUTLINE), button],
               alignment=ft.MainAxisAlignment.SPACE_BETWEEN),
    ], tight=True, spacing=14)


def first_run_form(page: ft.Page, services: Services, done: SignedInHandler, from_window: bool) -> ft.Control:
    """The owner account. The desktop window needs nothing more; any other client (a browser
    on this PC or the LAN) needs the setup code Helpdesk printed where it was started."""
    code = ft.TextField(on_change=sync_value, label="Setup code", autofocus=True, visible=not from_window,
                        helper="Shown where Helpdesk was started, and in setup-code.txt in its data folder",
                        capitalization=ft.TextCapitalization.CHARACTERS)
    name = ft.TextField(on_change=sync_value, label="Your name", autofocus=from_window)
    email = ft.TextField(on_change=sync_value, label="Email", keyboard_type=ft.KeyboardType.EMAIL)
    password = ft.TextField(on_change=sync_value, label="Password", helper="8 characters or more", password=True,
                            can_reveal_password=True)
    error = ft.Text("", color=ft.Colors.ERROR, visible=False)
    button = ft.FilledButton("Create owner account")

    async def submit(_e: Any) -> None:
        try:
            signed = await asyncio.to_thread(services.auth.create_owner, email.value or "", name.value or "",
                                             password.value or "", code.value or "", from_window, page.client_ip,
                                             True, f"{page.client_ip or 'desktop'} (first run)")
        except ServiceError as exc:
            error.value = explain(exc)
            error.visible = True
            page.update()
            return
        await done(signed, True)

    button.on_click = submit
    password.on_submit = submit
    return ft.Column([
        ft.Text("Welcome to Helpdesk", theme_style=ft.TextThemeStyle.HEADLINE_SMALL),
        ft.Text("Create the owner account. You can add your colleagues afterwards in Settings.",
                color=ft.Colors.ON_SURFACE_VARIANT),
        code, name, email, password, error, ft.Row([button], alignment=ft.MainAxisAlignment.END),
    ], tight=True, spacing=14)
