"""Signing in, and the first run that creates the owner account."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable

import flet as ft

from helpdesk import __version__
from helpdesk.services.container import Services
from helpdesk.services.auth import SecondStep, SignedIn, SignInFailed
from helpdesk.services.errors import ServiceError
from helpdesk.ui import second_step as steps
from helpdesk.ui.format import explain
from helpdesk.ui.widgets import sync_value

log = logging.getLogger(__name__)
ASSETS = Path(__file__).resolve().parent.parent.parent / "assets"
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
                                             bool(remember.value), page.client_ip, client,
                                             services.auth.desktop_window.recognises(page.client_user_agent))
        except SignInFailed as exc:
            await asyncio.sleep(exc.delay_seconds)  # slows guessing without blocking anyone else
            error.value = exc.message[0].upper() + exc.message[1:] + "."
            error.visible = True
            button.disabled = False
            password.value = ""
            page.update()
            return
        if isinstance(signed, SecondStep):
            await second_step(page, services, signed, bool(remember.value), done)
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


async def second_step(page: ft.Page, services: Services, step: SecondStep, remember: bool,
                      done: SignedInHandler) -> None:
    """After the right password: the code (or setting the second step up, when the shop requires it)."""
    async def back() -> None:
        card(page, sign_in_form(page, services, done))

    if step.enrol:
        card(page, await steps.enrol_form(page, services, step, remember, done, lambda control: card(page, control)))
    else:
        card(page, steps.code_form(page, services, step, remember, done, back))


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
        card(page, welcome(services, lambda: done(signed, True)))

    demo_note = ft.Text("", size=12, color=ft.Colors.ON_SURFACE_VARIANT)

    async def open_demo(_e: Any) -> None:
        from helpdesk.host.demo_window import run_demo_window

        demo_note.value = ("Opening the demo shop in a window of its own (the first time takes a few seconds). "
                           "Sign in there as sam@bikeshop.example with the password demo-password. Your own "
                           "Helpdesk stays empty until you create the owner account here.")
        page.update(demo_note)
        try:
            await asyncio.to_thread(run_demo_window, services.settings.data_dir, ASSETS)
        except Exception:  # the window or the demo's server would not start: say so, keep the form
            log.exception("the demo shop could not be opened")
            demo_note.value = "The demo shop could not be opened; the reason is in Helpdesk's log."
            page.update(demo_note)

    button.on_click = submit
    password.on_submit = submit
    demo = [ft.Divider(), ft.Row([ft.Text("Just looking?", color=ft.Colors.ON_SURFACE_VARIANT),
                                  ft.TextButton("Open the demo shop", icon=ft.Icons.STOREFRONT_OUTLINED,
                                                on_click=open_demo)]), demo_note] if from_window else []
    return ft.Column([
        ft.Text("Welcome to Helpdesk", theme_style=ft.TextThemeStyle.HEADLINE_SMALL),
        ft.Text("Create the owner account. You can add your colleagues afterwards in Settings.",
                color=ft.Colors.ON_SURFACE_VARIANT),
        code, name, email, password, error, ft.Row([button], alignment=ft.MainAxisAlignment.END), *demo,
    ], tight=True, spacing=14)


def welcome(services: Services, start: Callable[[], Awaitable[None]]) -> ft.Control:
    """After the owner account: where colleagues connect (the LAN address and its QR code)."""
    from helpdesk.host.lan_announce import wanted
    from helpdesk.host.netinfo import lan_urls
    from helpdesk.ui.qr import qr_png

    settings = services.settings
    urls = lan_urls(settings.port) if settings.host in ("0.0.0.0", "::") else []
    public = services.links.public_url()
    url = (public + "/") if public else urls[0] if urls else None
    where: list[ft.Control] = [
        ft.Image(src=qr_png(url), width=160, height=160, semantics_label=f"QR code for {url}"),
        ft.Text(url, theme_style=ft.TextThemeStyle.TITLE_MEDIUM, selectable=True),
        ft.Text("Colleagues open this address in a browser on the shop's network, or scan the code with a "
                "phone" + (f" (also http://helpdesk.local:{settings.port}/ on computers and iPhones)"
                           if wanted(settings) else "") + ". Add their accounts in Settings, under Agents.",
                color=ft.Colors.ON_SURFACE_VARIANT),
    ] if url else [ft.Text(f"Helpdesk listens only on {settings.host}: colleagues cannot connect until it is "
                           "started with --host 0.0.0.0.", italic=True)]

    async def go(_e: Any) -> None:
        await start()

    return ft.Column([
        ft.Text("Helpdesk is ready", theme_style=ft.TextThemeStyle.HEADLINE_SMALL),
        *where,
        ft.Text("The first time a colleague connects, this computer's firewall may ask whether Helpdesk may accept "
                "connections: allow it on private networks.", size=12, color=ft.Colors.ON_SURFACE_VARIANT),
        ft.Row([ft.FilledButton("Open the inbox", on_click=go)], alignment=ft.MainAxisAlignment.END),
    ], tight=True, spacing=12, horizontal_alignment=ft.CrossAxisAlignment.START)
