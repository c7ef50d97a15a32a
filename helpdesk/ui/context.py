"""What every screen of a signed-in session gets: the page, the services, who is signed in,
how to leave the event loop for a read or a write, how to tell the agent something, and
how to go to another screen. Screens take this, never each other."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import flet as ft

from helpdesk.config import Settings
from helpdesk.models import Agent
from helpdesk.services.container import Services
from helpdesk.services.base import Actor
from helpdesk.services.errors import ServiceError
from helpdesk.ui.format import explain
from helpdesk.ui.widgets import close_dialog, icon_button

log = logging.getLogger(__name__)


@dataclass
class UiContext:
    page: ft.Page
    services: Services
    settings: Settings
    agent: Agent
    presence_key: str
    navigate: Callable[[str], Awaitable[None]]  # "inbox", "settings" or "reports"
    origin: str = ""  # "the desktop window" or the browser's address, for the audit log
    session_token: str | None = None  # this device's sign-in (the devices list marks it; others can be ended)

    @property
    def actor(self) -> Actor:
        return Actor.for_agent(self.agent, self.origin)

    @property
    def is_admin(self) -> bool:
        return self.actor.role == "admin"

    async def read(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def write(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A service call that writes, on a worker thread: its checks and slow preparation
        (argon2, the keyring, files) run there, and only its @writes transaction queues for the
        one writer thread every other agent and customer waits on."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    def toast(self, message: str, error: bool = False, with_page: bool = True) -> None:
        """A short note at the bottom, sent with whatever else changed on the page. with_page=False
        when the caller has sent its own changes: the note alone goes (diffing the whole workspace
        costs ~20 ms, the largest part of sending a reply)."""
        self.page.show_dialog(ft.SnackBar(  # sends the note itself
            content=ft.Text(message, color=ft.Colors.ON_ERROR_CONTAINER if error else None),
            bgcolor=ft.Colors.ERROR_CONTAINER if error else None, duration=4000))
        if with_page:
            self.page.update()

    async def attempt(self, action: Callable[..., Any], *args: Any, success: str | None = None,
                      **kwargs: Any) -> Any:
        """Run a service call that writes (as `write`); a refusal is shown in words, never as a
        traceback. None: it failed."""
        try:
            result = await self.write(action, *args, **kwargs)
        except ServiceError as exc:
            self.toast(explain(exc), error=True)
            return None
        except Exception:
            log.exception("UI action failed")
            self.toast("Something went wrong; it has been logged. Please try again.", error=True)
            return None
        if success:
            self.toast(success)
        return result

    async def confirm(self, title: str, text: str, yes: str, no: str) -> bool:
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def close(value: bool) -> None:
            if not answer.done():
                answer.set_result(value)
            close_dialog(self.page)

        self.page.show_dialog(ft.AlertDialog(modal=True, title=ft.Text(title), content=ft.Text(text), actions=[
            ft.TextButton(no, on_click=lambda e: close(False)),
            ft.FilledButton(yes, on_click=lambda e: close(True))]))
        self.page.update()
        return await answer

    def back_bar(self, title: str, actions: list[ft.Control] | None = None) -> ft.AppBar:
        """The top bar of a screen opened from the inbox (settings, reports)."""
        return ft.AppBar(leading=icon_button(ft.Icons.ARROW_BACK, "Back to the inbox",
                                             on_click=lambda e: self.page.run_task(self.navigate, "inbox")),
                         title=ft.Text(title), bgcolor=ft.Colors.SURFACE_CONTAINER, actions=actions)
