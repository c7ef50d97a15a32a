"""The Flet app every agent session runs: the desktop window and LAN browsers alike.

One `AgentApp` per connected page: it signs the agent in, then shows one screen at a
time (the workspace, settings, reports), each given a UiContext. Handlers are async and
push every service call off the event loop, which also serves the API and every other
session."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any, Callable

import flet as ft

from helpdesk.ui import flet_speedups  # noqa: F401  (before any control is built: see its docstring)

from helpdesk.events import SESSIONS_ENDED, Event
from helpdesk.models import Agent
from helpdesk.services.container import Services
from helpdesk.services.auth import SignedIn
from helpdesk.ui import sign_in
from helpdesk.ui.app_paths import UPLOADS
from helpdesk.ui.context import UiContext

log = logging.getLogger(__name__)
SESSION_KEY = "helpdesk.session"
SEED = ft.Colors.INDIGO


def build_web_app(services: Services):
    """The Flet web app as an ASGI app, to mount at / after the API routes."""
    import flet.fastapi as flet_fastapi

    async def main(page: ft.Page) -> None:
        try:
            await AgentApp(page, services).start()
        except Exception:
            log.exception("the agent page failed to start")
            raise

    # Files an agent attaches are uploaded by the client to a signed URL into this folder, then
    # moved into the file store (ui/workspace/attachments.py).
    uploads = services.settings.data_dir / UPLOADS
    uploads.mkdir(parents=True, exist_ok=True, mode=0o700)
    return flet_fastapi.app(main, no_cdn=True, app_name="Helpdesk", app_short_name="Helpdesk",
                            app_description="Shared inbox", upload_dir=str(uploads), upload_endpoint_path="upload",
                            max_upload_size=services.settings.max_file_mb * 1_000_000,
                            secret_key=secrets.token_urlsafe(32))


class AgentApp:
    def __init__(self, page: ft.Page, services: Services) -> None:
        self.page = page
        self.services = services
        self.session_token: str | None = None
        self.ctx: UiContext | None = None
        self.workspace: Any = None
        self._unsubscribe: Callable[[], None] | None = None
        self.loop = asyncio.get_running_loop()

    @property
    def presence_key(self) -> str:
        return f"page-{id(self.page)}"

    async def start(self) -> None:
        page = self.page
        page.title = "Helpdesk"
        page.theme = ft.Theme(color_scheme_seed=SEED)
        page.dark_theme = ft.Theme(color_scheme_seed=SEED)
        page.theme_mode = ft.ThemeMode.LIGHT
        page.padding = 0
        # A reload or a dropped network comes back to the same session (on_connect); a closed
        # tab's session ends when Flet's timeout passes (on_close).
        page.on_connect = self._on_connect
        page.on_disconnect = self._on_disconnect
        page.on_close = self._on_close
        token = await self._stored_token()
        agent = await asyncio.to_thread(self.services.auth.resume, token) if token else None
        if agent is not None:
            self.session_token = token
            await self.enter(agent)
        else:
            await self.show_sign_in()

    async def _stored_token(self) -> str | None:
        try:
            return await ft.SharedPreferences().get(SESSION_KEY)
        except Exception:  # a client without storage signs in each time
            log.debug("client storage unavailable", exc_info=True)
            return None

    async def _on_disconnect(self, _e: Any = None) -> None:
        self._stop_listening()
        if self.workspace is not None:
            await self.workspace.pause()

    async def _on_connect(self, _e: Any = None) -> None:
        if self.ctx is not None:
            if not await asyncio.to_thread(self.services.auth.is_current, self.session_token):
                await self._ended()  # signed out elsewhere (or idle too long) while this tab was away
                return
            self._listen()
            await asyncio.to_thread(self.services.auth.seen, self.session_token)
        if self.workspace is not None:
            await self.workspace.resume()

    async def _on_close(self, _e: Any = None) -> None:
        if self.workspace is not None:
            await self.workspace.leave()
            self.workspace = None
        self._stop_listening()
        self.services.presence.left(self.presence_key)

    def _listen(self) -> None:
        if self._unsubscribe is None:
            self._unsubscribe = self.services.events.subscribe(self._on_bus_event)

    def _stop_listening(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None

    # ---- signing in ---------------------------------------------------------------------

    async def show_sign_in(self) -> None:
        if await asyncio.to_thread(self.services.auth.needs_owner):
            from_window = self.services.auth.desktop_window.recognises(self.page.client_user_agent)
            log.info("first run: the owner account form, %s", "in the desktop window" if from_window
                     else "asking for the setup code")
            sign_in.card(self.page, sign_in.first_run_form(self.page, self.services, self._signed_in, from_window))
            return
        sign_in.card(self.page, sign_in.sign_in_form(self.page, self.services, self._signed_in))

    async def _signed_in(self, signed: SignedIn, remember: bool) -> None:
        self.session_token = signed.token
        try:
            if remember:
                await ft.SharedPreferences().set(SESSION_KEY, signed.token)
            else:
                await ft.SharedPreferences().remove(SESSION_KEY)
        except Exception:  # without client storage the agent signs in again next time
            log.debug("client storage unavailable", exc_info=True)
        await self.enter(signed.agent)

    async def sign_out(self) -> None:
        await self._on_close()
        await self.services.db.run_write(self.services.auth.sign_out, self.session_token)
        try:
            await ft.SharedPreferences().remove(SESSION_KEY)
        except Exception:
            log.debug("client storage unavailable", exc_info=True)
        self.ctx = None
        self.session_token = None
        await self.show_sign_in()

    # ---- screens ------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        from helpdesk.services.auth import WINDOW_ADDRESS

        window = self.services.auth.desktop_window.recognises(self.page.client_user_agent)
        return WINDOW_ADDRESS if window else (self.page.client_ip or "")

    async def enter(self, agent: Agent) -> None:
        self.ctx = UiContext(self.page, self.services, self.services.settings, agent, self.presence_key, self.navigate,
                             origin=self.origin, session_token=self.session_token)
        self._listen()
        await self.navigate("inbox")
        await self._whats_new(agent.id)

    async def _whats_new(self, agent_id: int) -> None:
        """Once for each agent after an upgrade: what the new version brings."""
        from helpdesk.ui.whats_new import show_whats_new

        notes = await asyncio.to_thread(self.services.release.whats_new, agent_id)
        if notes:
            show_whats_new(self.page, notes,
                           on_close=lambda: self.services.db.run_write(self.services.release.whats_new_seen, agent_id))

    async def navigate(self, where: str) -> None:
        """Show one screen: the inbox, settings, reports; or sign out."""
        from helpdesk.ui.reports import ReportsScreen
        from helpdesk.ui.settings.screen import SettingsScreen
        from helpdesk.ui.workspace import Workspace

        assert self.ctx is not None
        await asyncio.to_thread(self.services.auth.seen, self.session_token)  # "last seen" in the devices list
        resume_at = None
        if self.workspace is not None:
            resume_at = self.workspace.c.selected_id
            await self.workspace.leave()
            self.workspace = None
        if where == "sign-out":
            await self.sign_out()
            return
        try:
            if where == "settings":
                await SettingsScreen(self.ctx).show()
            elif where == "reports":
                await ReportsScreen(self.ctx).show()
            else:
                self.workspace = Workspace(self.ctx)
                await self.workspace.mount(resume_at)
        except Exception:
            log.exception("the %s screen failed to open", where)
            self.ctx.toast(f"The {where} screen could not be opened; the error has been logged.", error=True)

    async def _ended(self) -> None:
        """This device's session was ended elsewhere (signed out there, a password or second step
        reset, an admin): back to the sign-in, saying why."""
        if self.ctx is None:
            return
        log.info("a session of agent %s ended elsewhere", self.ctx.agent.id)
        await self.sign_out()
        self.page.show_dialog(ft.SnackBar(ft.Text("You were signed out on this device from another one."),
                                          duration=8000))
        self.page.update()

    async def _check_session(self) -> None:
        if self.ctx is not None and not await asyncio.to_thread(self.services.auth.is_current, self.session_token):
            await self._ended()

    def _on_bus_event(self, event: Event) -> None:
        # Called on whichever thread committed the write: hand it to this page's loop.
        if event.type == SESSIONS_ENDED:
            if self.ctx is not None and event.data.get("agent_id") == self.ctx.agent.id:
                self.loop.call_soon_threadsafe(lambda: self.page.run_task(self._check_session))
            return
        workspace = self.workspace
        if workspace is not None:
            self.loop.call_soon_threadsafe(workspace.on_event, event)
