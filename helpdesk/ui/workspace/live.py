"""The workspace's live parts: customer messages and colleagues' changes arriving as events,
coalesced and paced per session (workspace/pacing.py), and the clock ticking ("waiting 5 min",
"is typing"), the mail banner and the tab title. A mixin of `shell.Workspace`, whose views it
redraws."""

from __future__ import annotations

import asyncio
import logging
import time

import flet as ft

from helpdesk import events
from helpdesk.host.notify import notify
from helpdesk.services.auth import WINDOW_ADDRESS
from helpdesk.ui import format as fmt
from helpdesk.ui.workspace.pacing import RefreshPacer

log = logging.getLogger(__name__)

# The events of one change (a message, its conversation) become one refresh: one commit's events
# are published back to back, so they are all here within a few ms (this wait was 30 ms, the
# largest fixed part of the time until the last of fifty agents is told: bench/sessions.py).
EVENT_COALESCE_SECONDS = 0.005
TICK_SECONDS = 3  # presence ("is typing") and, every tenth tick, the waiting times
# The tab's title ("Helpdesk (3 unassigned)") is on the page itself, and sending it means
# diffing the whole page: while counts keep changing it follows within this many seconds.
TITLE_EVERY_SECONDS = 5.0


class LiveUpdates:
    """Expects the Workspace's views and controller (`c`, `page`, `inbox`, `header`, …)."""

    def init_live(self) -> None:
        self._pending: list[events.Event] = []
        self._flush_task: asyncio.Task | None = None
        self._arrived = asyncio.Event()  # an event came while the refresh loop waited for the counts
        self._quiet_until = 0.0  # the loop's time before which no live refresh starts
        self._pacer = RefreshPacer()  # how often refreshes may start (workspace/pacing.py)
        self._title_stale = False  # page.title changed and is not sent yet
        self._title_sent_at = float("-inf")

    async def pause(self) -> None:
        """The browser went away: a closed tab, a reload, a dropped network. Flet keeps the session
        for a while in case it comes back (`resume`); meanwhile nothing is drawn for a browser that
        is not there, and the draft is saved now in case it never does."""
        self._active = False
        if self._ticker:
            self._ticker.cancel()
            self._ticker = None
        self.composer.cancel_pending_save()
        self.ctx.services.presence.left(self.ctx.presence_key)
        if self.c.selected_id is not None:
            await self.composer.flush()

    async def resume(self) -> None:
        """The same session back (a reload, the network again): what changed while it was away,
        then live again. Before this, a reloaded tab showed the inbox as it was and never changed."""
        if self._active:
            return
        self._active = True
        self._pending.clear()  # all is read again below; toasts meant for then are stale now
        self.c.rejoin()
        await self.c.load_inbox(keep=True, counts=False)
        await self.c.load_counts()
        if self.c.searching is None:
            self._show_inbox()
        await self._refresh_open()
        await self._show_mail_trouble(update=False)
        if self._active:
            self._update_page()
            self._ticker = asyncio.get_running_loop().create_task(self._tick())

    def title_due(self) -> bool:
        return self._title_stale and time.monotonic() - self._title_sent_at >= TITLE_EVERY_SECONDS

    def on_event(self, event: events.Event) -> None:
        """On this page's loop: remember the event and refresh soon (coalesced)."""
        if not self._active:
            return
        self._pending.append(event)
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.get_running_loop().create_task(self._flush_events())
        else:
            self._arrived.set()

    async def _flush_events(self) -> None:
        loop = asyncio.get_running_loop()
        while self._active and (self._pending or self.c.counts_stale):
            wait = max(EVENT_COALESCE_SECONDS, self._quiet_until - loop.time())
            if not self._pending:
                # Only the held-back counts are due: a customer message arriving meanwhile must
                # not wait for them (up to a second); it is paced like any other refresh.
                if await self._event_within(max(wait, self.c.counts_wait())):
                    continue
            else:
                await asyncio.sleep(wait)
            started = loop.time()
            if self._pending:
                batch, self._pending = self._pending, []
                await self._apply_events(batch)
            # Rows pace the refreshes; the counts come at most once a second, beside them.
            self._quiet_until = self._pacer.refreshed(started, loop.time())
            if self._active and self.c.counts_stale and self.c.counts_wait() == 0:
                await self._show_counts()

    async def _event_within(self, seconds: float) -> bool:
        """Waits `seconds` or until an event arrives; True when one did."""
        self._arrived.clear()
        if self._pending:
            return True
        try:
            await asyncio.wait_for(self._arrived.wait(), seconds)
        except asyncio.TimeoutError:
            return False
        return True

    async def _show_counts(self) -> None:
        """The counts a live refresh held back (rows first: they are what the agent reads)."""
        await self.c.load_counts()
        if self._active and self.c.searching is None:
            self._update_counts()

    async def _apply_events(self, batch: list[events.Event]) -> None:
        if not self._active:
            return
        refresh = self.c.merge(batch)
        try:
            # A colleague asking comes first: told before the rows and the thread are redrawn.
            if refresh.mentions_changed:
                await self.c.load_mention_count()
                self._show_counts_labels()
                self.page.update(self.rail, self.nav_bar, self.view_title)
            if refresh.mentioned:
                first = refresh.mentioned[0]
                more = f" (and {len(refresh.mentioned) - 1} more)" if len(refresh.mentioned) > 1 else ""
                words = f"{first.data.get('by') or 'Someone'} mentioned you in #{first.conversation_id}{more}"
                self.ctx.toast(words, with_page=False)
                if self.ctx.origin == WINDOW_ADDRESS:  # the shop PC: on the desktop too, the window may be behind
                    await asyncio.to_thread(notify, "Helpdesk", words)
            if refresh.inbox:
                await self.c.load_inbox(keep=True, counts=refresh.counts)
                if self.c.searching is None:  # a search shown while the rows were read stays
                    self._update_inbox(self._show_inbox())
            if refresh.thread:
                await self._refresh_open()
            elif refresh.presence:
                self.header.show_presence(self.c.presence_words())
                self.page.update(self.header.presence)
            if refresh.mail:
                await self._show_mail_trouble()
            if refresh.remote_draft is not None and refresh.remote_draft != self.composer.text:
                self.composer.set_text(refresh.remote_draft)
                self.page.update(self.composer.field)
            if refresh.macros:
                await self.load_macros()
            if refresh.articles:
                await self.load_articles()
            if refresh.notices:
                self.ctx.toast(" · ".join(refresh.notices[:3]), with_page=False)
            if refresh.breaches:
                first = refresh.breaches[0]
                label = fmt.DUE_LABELS.get(first.data.get("target", ""), "Reply")
                more = f" and {len(refresh.breaches) - 1} more" if len(refresh.breaches) > 1 else ""
                self.ctx.toast(f"Overdue: {label.lower()} for conversation #{first.conversation_id}{more}",
                               error=True, with_page=False)
        except Exception:
            if self._active:
                log.exception("live refresh failed")
                self.ctx.toast("The inbox could not be refreshed; the error has been logged.", error=True)

    def _update_page(self) -> None:
        self.page.update()
        self._title_stale, self._title_sent_at = False, time.monotonic()

    async def _tick(self) -> None:
        """Keeps 'waiting 5 min' and 'is typing' honest without any event."""
        count = 0
        while self._active:
            await asyncio.sleep(TICK_SECONDS)
            count += 1
            now = self.ctx.services.clock.now()
            changed: list[ft.Control] = []
            if self.c.selected_id is not None:
                self.header.show_presence(self.c.presence_words())
                changed.append(self.header.presence)
            if count % 10 == 0:
                if self.c.searching is None:
                    changed += self.inbox.tick(now)
                self.header.show_due(now)
                changed.append(self.header.due)
                await self._show_mail_trouble(update=False)
                changed.append(self.mail_banner)
            if self._active and changed:
                self.page.update(*changed)
            if self._active and self.title_due():
                self._update_page()  # the counts in the title, held back while they kept changing

    async def _show_mail_trouble(self, update: bool = True) -> None:
        """The quiet banner over the list: mail cannot be fetched or sent (offline is normal)."""
        words = await self.c.mail_trouble()
        text = self.mail_banner_text
        if words == text.value and self.mail_banner.visible == bool(words):
            return
        text.value, self.mail_banner.visible = words, bool(words)
        if update and self._active:
            self.page.update(self.mail_banner)
