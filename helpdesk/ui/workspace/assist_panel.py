"""Assist beside the open conversation: the similar solved conversations (in the customer panel)
with the reply that solved each, one click to open it or to put that reply in the reply box;
the best canned replies as chips above the reply box; and, when the shop has a language model,
"Draft reply" streaming a suggestion into the reply box (stoppable, never sent by itself) and
"Summarise". Loaded after the conversation is on screen, so it never slows the click."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Awaitable, Callable

import flet as ft

from helpdesk.services.assist.model import Cancelled
from helpdesk.services.errors import ServiceError
from helpdesk.ui.context import UiContext
from helpdesk.ui.format import explain
from helpdesk.ui.workspace.composer import Composer
from helpdesk.ui.widgets import close_dialog

log = logging.getLogger(__name__)
REDRAW_EVERY = 0.15  # seconds between screen updates while a draft streams in


class AssistPanel:
    def __init__(self, ctx: UiContext, on_open: Callable[[int], Awaitable[None]],
                 insert_canned: Callable[[str, int | None], Awaitable[None]]) -> None:
        self.ctx, self.page = ctx, ctx.page
        self.composer: Composer  # set once the composer exists (it holds this panel's row)
        self.on_open, self.insert_canned = on_open, insert_canned
        self.conversation_id: int | None = None
        self.similar = ft.Column([], spacing=6)
        self.chips = ft.Row([], wrap=True, spacing=6, run_spacing=4)
        self.draft_button = ft.TextButton("Draft reply", icon=ft.Icons.AUTO_AWESOME_OUTLINED, visible=False,
                                          tooltip="A suggestion from the shop's language model, to edit before "
                                                  "sending", on_click=lambda e: self.page.run_task(self._draft))
        self.summary_button = ft.TextButton("Summarise", icon=ft.Icons.SUMMARIZE_OUTLINED, visible=False,
                                            on_click=lambda e: self.page.run_task(self._summarise))
        self.status = ft.Text("", size=12, color=ft.Colors.ON_SURFACE_VARIANT, italic=True)
        self.row = ft.Row([self.chips, ft.Row([self.draft_button, self.summary_button, self.status], tight=True)],
                          wrap=True, spacing=8, visible=False)
        self._stop: threading.Event | None = None

    async def show(self, conversation_id: int) -> None:
        """Find what history offers for this conversation, then draw it (if it is still the one open)."""
        self.conversation_id = conversation_id
        assist, agent_id = self.ctx.services.assist, self.ctx.agent.id

        articles = self.ctx.services.articles

        def load() -> tuple[list, list, bool, list]:
            found = assist.similar(conversation_id)
            helpful = [(a, articles.url(a)) for a in articles.for_conversation(conversation_id)]
            return (found, assist.suggestions(conversation_id, found, agent_id=agent_id), assist.config() is not None,
                    helpful)

        try:
            found, canned, has_model, helpful = await self.ctx.read(load)
        except Exception:
            log.exception("assist could not look at history")
            return
        if conversation_id != self.conversation_id:
            return  # another conversation was opened meanwhile
        self.similar.controls = self._similar_controls(found) + self._article_controls(helpful)
        self.chips.controls = [ft.OutlinedButton(
            s.title, icon=ft.Icons.QUICKREPLY_OUTLINED, tooltip=s.body[:200],
            on_click=lambda e, s=s: self.page.run_task(self.insert_canned, s.body, s.canned_id)) for s in canned]
        self.draft_button.visible = self.summary_button.visible = has_model
        self.row.visible = bool(canned) or has_model
        self.page.update(self.similar, self.row)

    def _similar_controls(self, found: list) -> list[ft.Control]:
        if not found:
            return []
        rows: list[ft.Control] = [ft.Divider(), ft.Text("Solved before", theme_style=ft.TextThemeStyle.TITLE_SMALL)]
        for s in found[:3]:
            rows.append(ft.Container(padding=8, border_radius=8, bgcolor=ft.Colors.SURFACE_CONTAINER, content=ft.Column([
                ft.Text(s.subject or s.question[:60] or f"#{s.conversation_id}", size=13, weight=ft.FontWeight.W_500,
                        max_lines=2, overflow=ft.TextOverflow.ELLIPSIS),
                ft.Text(f"{s.outcome} · {s.customer}", size=12, color=ft.Colors.ON_SURFACE_VARIANT),
                ft.Text(s.reply, size=12, max_lines=4, overflow=ft.TextOverflow.ELLIPSIS) if s.reply else
                ft.Text("No reply to reuse", size=12, italic=True),
                ft.Row([ft.TextButton("Open", on_click=lambda e, c=s.conversation_id: self.page.run_task(self.on_open, c)),
                        ft.TextButton("Use this reply", icon=ft.Icons.REPLY, disabled=not s.reply,
                                      tooltip="Put it in the reply box, to edit before sending",
                                      on_click=lambda e, s=s: self.page.run_task(self._use, s.reply))],
                       spacing=0, wrap=True),
            ], spacing=2)))
        return rows

    def _article_controls(self, helpful: list) -> list[ft.Control]:
        """Published help articles that answer what the customer asked: their link goes in the reply."""
        if not helpful:
            return []
        rows: list[ft.Control] = [ft.Divider(), ft.Text("Help articles", theme_style=ft.TextThemeStyle.TITLE_SMALL)]
        for article, url in helpful:
            rows.append(ft.Container(padding=8, border_radius=8, bgcolor=ft.Colors.SURFACE_CONTAINER, content=ft.Column([
                ft.Text(article.title, size=13, weight=ft.FontWeight.W_500, max_lines=2,
                        overflow=ft.TextOverflow.ELLIPSIS),
                ft.Text(article.excerpt, size=12, max_lines=3, overflow=ft.TextOverflow.ELLIPSIS),
                ft.TextButton("Insert link", icon=ft.Icons.LINK, tooltip=url,
                              on_click=lambda e, t=f"{article.title}: {url}": self.page.run_task(self._use, t)),
            ], spacing=2)))
        return rows

    async def _use(self, text: str) -> None:
        current = self.composer.text
        self.composer.set_text((current.rstrip() + "\n\n" + text) if current.strip() else text)
        self.composer.typed()
        self.page.update(self.composer.field)

    # ---- with a model -------------------------------------------------------------------------

    async def _draft(self) -> None:
        if self._stop is not None:  # a draft is streaming: this click stops it
            self._stop.set()
            return
        conversation_id, before = self.conversation_id, self.composer.text
        loop, pieces, stop = asyncio.get_running_loop(), [], threading.Event()
        self._stop = stop
        self._busy("Stop", "Drafting…")
        last = [0.0]

        def on_piece(piece: str) -> None:  # on the worker thread
            pieces.append(piece)
            now = loop.time()
            if now - last[0] >= REDRAW_EVERY:
                last[0] = now
                loop.call_soon_threadsafe(self._show_draft, "".join(pieces), conversation_id)

        try:
            made = await asyncio.to_thread(self.ctx.services.assist.draft, conversation_id, self.ctx.actor,
                                           on_piece, stop)
        except Cancelled:
            self._restore(before, conversation_id, "Stopped: the reply box is as it was.")
            return
        except ServiceError as exc:
            self._restore(before, conversation_id, explain(exc))
            return
        except Exception:
            log.exception("drafting failed")
            self._restore(before, conversation_id, "The draft failed; it has been logged.")
            return
        finally:
            self._stop = None
            self._busy("Draft reply", "")
        if conversation_id == self.conversation_id:
            self._show_draft(made.text, conversation_id)
            self.composer.typed()
            self.status.value = f"Suggested by {made.model}: check it before sending"
            self.page.update(self.row)

    def _show_draft(self, text: str, conversation_id: int | None) -> None:
        if conversation_id == self.conversation_id and self._stop is not None or text:
            if conversation_id == self.conversation_id:
                self.composer.set_text(text)
                self.page.update(self.composer.field)

    def _restore(self, before: str, conversation_id: int | None, words: str) -> None:
        if conversation_id == self.conversation_id:
            self.composer.set_text(before)
            self.page.update(self.composer.field)
        self.ctx.toast(words, error=not words.startswith("Stopped"))

    def _busy(self, label: str, status: str) -> None:
        self.draft_button.content = label
        self.draft_button.icon = ft.Icons.STOP_CIRCLE_OUTLINED if label == "Stop" else ft.Icons.AUTO_AWESOME_OUTLINED
        self.status.value = status
        self.page.update(self.row)

    async def _summarise(self) -> None:
        conversation_id = self.conversation_id
        text = ft.Text("Summarising…", selectable=True)

        async def as_note(e: Any) -> None:
            if await self.ctx.attempt(self.ctx.services.conversations.add_note, conversation_id, self.ctx.actor,
                                      f"Summary:\n{text.value}") is not None:
                close_dialog(self.page)

        keep = ft.FilledButton("Add as a note", disabled=True, on_click=as_note)
        self.page.show_dialog(ft.AlertDialog(title=ft.Text("Summary"), content=ft.Container(text, width=520),
                                             actions=[ft.TextButton("Close", on_click=lambda e: close_dialog(self.page)),
                                                      keep]))
        self.page.update()
        try:
            summary = await asyncio.to_thread(self.ctx.services.assist.summarise, conversation_id, self.ctx.actor)
        except ServiceError as exc:
            text.value = explain(exc)
            self.page.update(text)
            return
        text.value, keep.disabled = summary, False
        self.page.update(text, keep)
