"""The Flet app every agent session runs: the desktop window and LAN browsers alike.

One instance of `AgentApp` per connected page. Handlers are async and push every
service call off the event loop (reads to a thread, writes to the database's writer
thread): the loop also serves the intake API and every other session."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

import flet as ft

from helpdesk.ui.widgets import sync_value

from helpdesk import __version__
from helpdesk.config import Settings
from helpdesk.events import Event
from helpdesk.models import Agent
from helpdesk.services import Services
from helpdesk.services.auth import SignInFailed, is_loopback
from helpdesk.services.errors import ServiceError

log = logging.getLogger(__name__)
SESSION_KEY = "helpdesk.session"
SEED = ft.Colors.INDIGO


def build_web_app(helpdesk):  # type: ignore[no-untyped-def]
    """The Flet web app as an ASGI app, to mount at / after the API routes."""
    import flet.fastapi as flet_fastapi

    async def main(page: ft.Page) -> None:
        try:
            await AgentApp(page, helpdesk.services, helpdesk.settings, helpdesk).start()
        except Exception:
            log.exception("the agent page failed to start")
            raise

    return flet_fastapi.app(main, no_cdn=True, app_name="Helpdesk", app_short_name="Helpdesk",
                            app_description="Shared inbox")


class AgentApp:
    def __init__(self, page: ft.Page, services: Services, settings: Settings, helpdesk: Any = None) -> None:
        self.page = page
        self.helpdesk = helpdesk  # the composition root: scheduled jobs for the Jobs page
        self.services = services
        self.settings = settings
        self.agent: Agent | None = None
        self.session_token: str | None = None
        self.loop = asyncio.get_running_loop()
        self._unsubscribe: Callable[[], None] | None = None
        self.workspace: Any = None

    # ---- helpers used by every view ------------------------------------------------

    async def read(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def write(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await self.services.db.run_write(fn, *args, **kwargs)

    def toast(self, message: str, error: bool = False) -> None:
        self.page.show_dialog(ft.SnackBar(
            content=ft.Text(message, color=ft.Colors.ON_ERROR_CONTAINER if error else None),
            bgcolor=ft.Colors.ERROR_CONTAINER if error else None, duration=4000))
        self.page.update()

    async def attempt(self, action: Callable[..., Any], *args: Any, success: str | None = None) -> Any:
        """Run a service write; a refusal is shown in words, never as a traceback."""
        try:
            result = await self.write(action, *args)
        except ServiceError as exc:
            details = "; ".join(f"{k.split('.')[-1]} {v}" for k, v in exc.fields.items())
            self.toast(f"{exc.message}{': ' + details if details else ''}", error=True)
            return None
        except Exception:
            log.exception("UI action failed")
            self.toast("Something went wrong; it has been logged. Please try again.", error=True)
            return None
        if success:
            self.toast(success)
        return result

    # ---- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        page = self.page
        page.title = "Helpdesk"
        page.theme = ft.Theme(color_scheme_seed=SEED)
        page.dark_theme = ft.Theme(color_scheme_seed=SEED)
        page.theme_mode = ft.ThemeMode.LIGHT
        page.padding = 0
        page.on_disconnect = self._on_disconnect
        page.on_close = self._on_disconnect
        token = None
        try:
            token = await ft.SharedPreferences().get(SESSION_KEY)
        except Exception:  # a client without storage: sign in each time
            token = None
        agent = await self.read(self.services.auth.resume, token) if token else None
        if agent is not None:
            self.session_token = token
            await self.enter(agent)
        else:
            await self.show_sign_in()

    async def _on_disconnect(self, _e: Any = None) -> None:
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None
        self.services.presence.left(self.presence_key)

    @property
    def presence_key(self) -> str:
        return f"page-{id(self.page)}"

    # ---- sign in and first run ------------------------------------------------------

    async def show_sign_in(self) -> None:
        needs_owner = await self.read(self.services.auth.needs_owner)
        if needs_owner:
            if is_loopback(self.page.client_ip):
                self._render_card(self._first_run_form())
            else:
                self._render_card(ft.Column([
                    ft.Text("Helpdesk is not set up yet", theme_style=ft.TextThemeStyle.HEADLINE_SMALL),
                    ft.Text("The owner account can only be created on the computer Helpdesk runs on. "
                            "Open Helpdesk there first, then come back to this page."),
                ], tight=True, spacing=12))
            return
        self._render_card(self._sign_in_form())

    def _render_card(self, content: ft.Control) -> None:
        self.page.controls.clear()
        self.page.appbar = None
        self.page.add(ft.Container(
            expand=True, alignment=ft.Alignment.CENTER, bgcolor=ft.Colors.SURFACE_CONTAINER_LOW,
            content=ft.Card(content=ft.Container(content=content, padding=32, width=420), elevation=2)))
        self.page.update()

    def _sign_in_form(self) -> ft.Control:
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
            self.page.update()
            client = f"{self.page.client_ip or 'desktop'} {self.page.client_user_agent or ''}"
            try:
                signed = await self.write(self.services.auth.sign_in, email.value or "", password.value or "",
                                          bool(remember.value), self.page.client_ip, client)
            except SignInFailed as exc:
                await asyncio.sleep(exc.delay_seconds)  # slows guessing without blocking anyone else
                error.value = exc.message[0].upper() + exc.message[1:] + "."
                error.visible = True
                button.disabled = False
                password.value = ""
                self.page.update()
                return
            await self._signed_in(signed.agent, signed.token, bool(remember.value))

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

    def _first_run_form(self) -> ft.Control:
        name = ft.TextField(on_change=sync_value, label="Your name", autofocus=True)
        email = ft.TextField(on_change=sync_value, label="Email", keyboard_type=ft.KeyboardType.EMAIL)
        password = ft.TextField(on_change=sync_value, label="Password", helper="8 characters or more", password=True,
                                can_reveal_password=True)
        error = ft.Text("", color=ft.Colors.ERROR, visible=False)
        button = ft.FilledButton("Create owner account")

        async def submit(_e: Any) -> None:
            try:
                signed = await self.write(self.services.auth.create_owner, email.value or "", name.value or "",
                                          password.value or "", self.page.client_ip, True,
                                          f"{self.page.client_ip or 'desktop'} (first run)")
            except ServiceError as exc:
                problems = "; ".join(f"{k} {v}" for k, v in exc.fields.items())
                error.value = problems or exc.message
                error.visible = True
                self.page.update()
                return
            await self._signed_in(signed.agent, signed.token, True)

        button.on_click = submit
        password.on_submit = submit
        return ft.Column([
            ft.Text("Welcome to Helpdesk", theme_style=ft.TextThemeStyle.HEADLINE_SMALL),
            ft.Text("Create the owner account. You can add your colleagues afterwards in Settings.",
                    color=ft.Colors.ON_SURFACE_VARIANT),
            name, email, password, error, ft.Row([button], alignment=ft.MainAxisAlignment.END),
        ], tight=True, spacing=14)

    async def _signed_in(self, agent: Agent, token: str, remember: bool) -> None:
        self.session_token = token
        try:
            if remember:
                await ft.SharedPreferences().set(SESSION_KEY, token)
            else:
                await ft.SharedPreferences().remove(SESSION_KEY)
        except Exception:
            log.debug("client storage unavailable")
        await self.enter(agent)

    async def sign_out(self) -> None:
        await self.write(self.services.auth.sign_out, self.session_token)
        try:
            await ft.SharedPreferences().remove(SESSION_KEY)
        except Exception:
            pass
        await self._on_disconnect()
        self.agent = None
        self.session_token = None
        self.page.on_keyboard_event = None
        await self.show_sign_in()

    # ---- the workspace -------------------------------------------------------------------

    async def enter(self, agent: Agent) -> None:
        from helpdesk.ui.workspace import Workspace

        self.agent = agent
        self.workspace = Workspace(self)
        self._unsubscribe = self.services.events.subscribe(self._on_bus_event)
        try:
            await self.workspace.mount()
        except Exception:
            log.exception("the workspace failed to open")
            self.toast("The inbox could not be opened; the error has been logged.", error=True)

    def _on_bus_event(self, event: Event) -> None:
        # Called on whichever thread committed the write: hand it to this page's loop.
        if self.workspace is not None:
            self.loop.call_soon_threadsafe(self.workspace.on_event, event)

