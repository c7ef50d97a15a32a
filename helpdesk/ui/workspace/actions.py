"""What the agent does to the open conversation from the header and the reply box:
send, insert a canned reply, assign, prioritise, change status, snooze, tag, copy the
customer's link. Refusals come back in words."""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo
from typing import Any, Awaitable, Callable

import flet as ft

from helpdesk.ui.help_editor import edit_article

from helpdesk.models import SNOOZED
from helpdesk.ui import format as fmt
from helpdesk.ui.context import UiContext
from helpdesk.ui.uploads import PendingFiles
from helpdesk.ui.workspace.composer import Composer
from helpdesk.ui.workspace.controller import WorkspaceController
from helpdesk.ui.workspace.dialogs import pick_snooze_time
from helpdesk.ui.widgets import close_dialog, sync_value

log = logging.getLogger(__name__)


class ConversationActions:
    def __init__(self, ctx: UiContext, controller: WorkspaceController, zone: tzinfo | None,
                 refresh_open: Callable[..., Awaitable[None]], files: PendingFiles) -> None:
        self.ctx = ctx
        self.files = files
        self.c = controller
        self.zone = zone
        self.refresh_open = refresh_open
        self.composer: Composer  # set once the composer exists (it calls back into send)

    async def save_draft(self, body: str) -> None:
        try:
            await self.c.save_draft(body)
        except Exception:
            log.exception("saving the draft failed")
            self.ctx.toast("Your draft could not be saved on the server; it is still in the reply box.", error=True)

    async def send(self, then: str) -> None:
        self.composer.cancel_pending_save()
        files = self.files.take()  # given back below if nothing is sent, so no file is lost
        via = None if then == "note" else self.composer.chosen_via
        choices = None if then == "note" else self.composer.choices or None
        outcome = await self.c.send(self.composer.text, then, files=files, via=via, choices=choices)
        if outcome.unseen:
            count = outcome.unseen
            if not await self.ctx.confirm(
                    "New message from the customer",
                    f"The customer sent {count} new message{'s' if count > 1 else ''} after you started this reply. "
                    "Read it before sending?", "Send anyway", "Go back and read"):
                self.files.put_back(files)
                await self.refresh_open()
                self.c.caught_up()
                return
            outcome = await self.c.send(self.composer.text, then, confirmed=True, files=files, via=via,
                                        choices=choices)
        if not outcome.sent:
            self.files.put_back(files)
            if outcome.words:
                self.ctx.toast(outcome.words, error=True)
            return
        self.composer.set_text("")
        if choices:
            self.composer.set_choices([])
        await self.refresh_open()
        self.ctx.page.update(self.composer.control)
        self.ctx.toast(outcome.words, with_page=False)

    async def insert_canned(self, body: str, canned_id: int | None = None) -> None:
        if self.c.selected_id is None:
            return
        text = await self.c.canned_text(body)
        if canned_id is not None:  # the suggestions learn from what agents pick
            await self.ctx.write(self.ctx.services.assist.picked_canned, canned_id, self.c.selected_id, self.c.agent_id)
        current = self.composer.text
        self.composer.set_text((current.rstrip() + "\n\n" + text) if current.strip() else text)
        self.composer.typed()
        self.ctx.page.update()

    async def _act(self, fn: Any, *args: Any) -> bool:
        refused = await self.c.act(fn, self.c.selected_id, *args)
        if refused:
            self.ctx.toast(refused, error=True)
        return refused is None

    async def assign(self, agent_id: int | None) -> None:
        await self._act(self.ctx.services.conversations.assign, agent_id, self.ctx.actor)

    async def save_my_canned(self, body: str) -> None:
        """Keep what is in the reply box as the agent's own canned reply (a title asked for)."""
        if not body.strip():
            self.ctx.toast("Write the reply first, then save it as a canned reply.", error=True)
            return
        title = ft.TextField(label="Title", autofocus=True, on_change=sync_value)
        services = self.ctx.services

        async def save(_e: Any) -> None:
            made = await self.ctx.attempt(services.canned.create, title.value or "", body, self.ctx.actor,
                                          private=True)
            if made is not None:
                close_dialog(self.ctx.page)
                self.composer.set_canned(await self.ctx.read(services.canned.list, self.ctx.actor))
                self.ctx.toast(f"Saved as your canned reply {made.title}")

        self.ctx.page.show_dialog(ft.AlertDialog(
            title=ft.Text("Save as my canned reply"), content=ft.Column(
                [title, ft.Text("Only you see it in Canned reply; variables like {{customer.first_name}} work "
                                "here too.", size=12)], tight=True, width=420),
            actions=[ft.TextButton("Cancel", on_click=lambda e: close_dialog(self.ctx.page)),
                     ft.FilledButton("Save", on_click=save)]))
        self.ctx.page.update()

    async def macro(self, macro_id: int, name: str) -> None:
        """Run a macro on the open conversation: its reply, note, tags and status come back live."""
        services, actor = self.ctx.services, self.ctx.actor
        if await self._act(lambda conversation_id: services.macros.run(macro_id, conversation_id, actor)):
            self.ctx.toast(f"Macro {name} done")

    async def team(self, team_id: int | None) -> None:
        await self._act(self.ctx.services.conversations.set_team, team_id, self.ctx.actor)

    async def priority(self, priority: str) -> None:
        await self._act(self.ctx.services.conversations.set_priority, priority, self.ctx.actor)

    async def status(self, status: str) -> None:
        await self._act(self.ctx.services.conversations.set_status, status, self.ctx.actor)

    async def snooze(self, until: datetime) -> None:
        if await self._act(self.ctx.services.conversations.set_status, SNOOZED, self.ctx.actor, until):
            self.ctx.toast(f"Snoozed until {fmt.stamp(until, self.ctx.services.clock.now(), self.zone)}")

    async def pick_snooze(self) -> None:
        pick_snooze_time(self.ctx.page, self.ctx.services.clock.now(), self.zone, self.snooze)

    async def add_tag(self, name: str) -> bool:
        return await self._act(self.ctx.services.conversations.add_tag, name, self.ctx.actor)

    async def remove_tag(self, name: str) -> None:
        await self._act(self.ctx.services.conversations.remove_tag, name, self.ctx.actor)

    async def spam(self) -> None:
        """Mark as spam, and block the sender with it if the agent ticks one of their addresses."""
        detail = self.c.detail
        if detail is None:
            return
        here, page = detail.conversation, self.ctx.page
        senders = await self.ctx.read(self.ctx.services.blocklist.candidates, here.customer_id)
        words = {"email": "the address", "domain": "everyone at", "phone": "the number", "telegram": "Telegram account",
                 "visitor": "this website visitor"}
        boxes = [ft.Checkbox(label=f"Block {words[k]} {v if k != 'visitor' else ''}".strip(), value=False,
                             data=(k, v)) for k, v in senders]

        async def mark(_e: Any) -> None:
            close_dialog(page)
            block = [b.data for b in boxes if b.value]
            if await self.ctx.attempt(self.ctx.services.conversations.mark_spam, here.id, self.ctx.actor, block,
                                      success="Moved to Spam" + (" and blocked" if block else "")) \
                    is not None:
                await self.refresh_open(here.id)

        page.show_dialog(ft.AlertDialog(
            title=ft.Text("Mark as spam"),
            content=ft.Column([ft.Text("It leaves the inbox for Spam: no response targets, no automatic replies, not "
                                       "in reports. Spam is erased after 30 days.", size=12,
                                       color=ft.Colors.ON_SURFACE_VARIANT), *boxes,
                               ft.Text("A blocked sender's later messages go straight to Spam; nobody is told.",
                                       size=12, color=ft.Colors.ON_SURFACE_VARIANT) if boxes else ft.Container()],
                              tight=True, width=460),
            actions=[ft.TextButton("Cancel", on_click=lambda e: close_dialog(page)),
                     ft.FilledButton("Mark as spam", on_click=mark)]))
        page.update()

    async def not_spam(self) -> None:
        detail = self.c.detail
        if detail is None:
            return
        here = detail.conversation
        senders = await self.ctx.read(self.ctx.services.blocklist.candidates, here.customer_id)
        blocked = await self.ctx.read(lambda: any(self.ctx.services.blocklist.listed(k, v) for k, v in senders))
        unblock = False
        if blocked:
            unblock = await self.ctx.confirm("Not spam", "The sender is blocked: their later messages go to Spam too. "
                                             "Unblock them?", "Unblock", "Keep blocked")
        if await self.ctx.attempt(self.ctx.services.conversations.not_spam, here.id, self.ctx.actor, unblock,
                                  success="Back in the inbox" + (", sender unblocked" if unblock else "")) \
                is not None:
            await self.refresh_open(here.id)

    async def merge(self) -> None:
        """Pick another of the customer's conversations; this one moves into it (or it into this)."""
        detail, history = self.c.detail, self.c.history
        if detail is None or history is None:
            return
        here = detail.conversation
        others = [c for c in history.conversations if c.id != here.id]
        if not others:
            self.ctx.toast("This customer has no other conversation to merge with.")
            return
        page = self.ctx.page

        async def into(target_id: int) -> None:
            close_dialog(page)
            # The older one is kept, so its history and link stay where the customer knows them.
            source, target = (here.id, target_id) if target_id < here.id else (target_id, here.id)
            if await self.ctx.attempt(self.ctx.services.conversations.merge, source, target, self.ctx.actor,
                                      success=f"Merged #{source} into #{target}") is not None:
                await self.refresh_open(target)

        tiles = [ft.ListTile(title=ft.Text(f"#{c.id} · {c.subject or 'No subject'}"),
                             subtitle=ft.Text(f"{c.status.title()} · {fmt.ago(c.last_message_at, self.ctx.services.clock.now())}"
                                              if c.last_message_at else c.status.title()),
                             on_click=lambda e, c=c: page.run_task(into, c.id)) for c in others[:20]]
        page.show_dialog(ft.AlertDialog(
            title=ft.Text("Merge with…"),
            content=ft.Column([ft.Text("The messages, notes and events of the newer conversation move into the older "
                                       "one; the customer's links to either lead there.", size=12,
                                       color=ft.Colors.ON_SURFACE_VARIANT), *tiles],
                              tight=True, width=480, scroll=ft.ScrollMode.AUTO),
            actions=[ft.TextButton("Cancel", on_click=lambda e: close_dialog(page))]))
        page.update()

    async def save_article(self) -> None:
        """The open conversation's question and last answer as a draft article, the customer's data
        masked, opened in the editor to read through and publish."""
        conversation_id = self.c.selected_id
        if conversation_id is None:
            return
        saved = await self.ctx.attempt(self.ctx.services.articles.save_from_conversation, conversation_id,
                                       self.ctx.actor)
        if saved is not None:
            async def done(_article: Any) -> None: ...

            await edit_article(self.ctx, saved.article, done, masked=saved.masked)

    async def copy_link(self) -> None:
        link = self.c.conversation_link()
        if link is None:
            return
        try:
            await ft.Clipboard().set(link)
            self.ctx.toast(f"Copied: {link}")
        except Exception:  # a client without clipboard access: show the link to copy by hand
            log.debug("clipboard unavailable", exc_info=True)
            self.ctx.toast(link)
