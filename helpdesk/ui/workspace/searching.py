"""Search in place of the inbox list: Enter answers with the hits that fit on screen, the rest
follow; closing it brings the inbox back. A mixin of `shell.Workspace`."""

from __future__ import annotations

import asyncio
from typing import Any

from helpdesk.ui.widgets import updates_itself
from helpdesk.ui.workspace.inbox_list import REST_AFTER, first_screen
from helpdesk.ui.workspace.search_results import hit_rows, results_heading, search_results


class Searching:
    """Expects the Workspace's views and controller (`c`, `page`, `inbox`, `search_field`, …)."""

    async def _on_search(self, _e: Any = None) -> None:
        updates_itself()
        text = (self.search_field.value or "").strip()
        if not text:
            await self.clear_search()
            return
        await self.c.search(text)
        if self.c.searching != text:  # closed, or another search began, while this one ran
            return
        hits, first = self.c.hits, first_screen(self.page.height)  # a hit is at least a row's height
        self.inbox.view.controls = search_results(self.page, hits, self.ctx.services.clock.now(), self.open, first)
        self.view_title.value = results_heading(text, len(hits))
        self.filters.visible, self.close_search_button.visible = False, True
        if self.narrow and self.c.selected_id is not None:
            await self.close_conversation(update=False)
            self.page.update()
        else:
            self.page.update(self.list_pane)
        if len(hits) > first and self._active:
            self.page.run_task(self._show_rest_of_search, hits, first)

    async def _show_rest_of_search(self, hits: list, first: int) -> None:
        await asyncio.sleep(REST_AFTER)  # the hits on screen go out and are drawn first
        if self._active and self.c.hits is hits:  # the same search is still shown
            self.inbox.view.controls.extend(hit_rows(self.page, hits[first:], self.ctx.services.clock.now(),
                                                     self.open))
            self.page.update(self.inbox.view)

    async def clear_search(self) -> None:
        self.c.clear_search()
        self.search_field.value = ""
        # Sent at once: an update after the inbox has loaded would wipe what the agent has
        # begun typing for the next search meanwhile.
        self.page.update(self.search_field)
        await self.c.load_inbox()
        if self.c.searching is not None:  # a new search began while the inbox loaded: its results stay
            return
        self._update_inbox(self._show_inbox())
