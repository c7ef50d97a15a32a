"""The command palette on an offline page: what is typed narrows the list (every word must
appear), what is found for it (a number, a search) comes first, an older search's answer never
lands over a newer one, Enter runs the first, and a second Ctrl+K leaves it as it is."""

from __future__ import annotations

import asyncio
from typing import Callable

from helpdesk.ui.workspace.palette import Command, Palette
from tests.ui.flet_wire import offline_page


def recording(ran: list[str]) -> Callable[[str], Command]:
    """Commands that note their label in `ran` when run."""
    def command(label: str) -> Command:
        async def run() -> None:
            ran.append(label)
        return Command(label, run)
    return command


def test_typing_narrows_found_comes_first_enter_runs_the_first_and_ctrl_k_twice_is_harmless():
    ran: list[str] = []
    command = recording(ran)

    async def scenario() -> None:
        page, _wire = offline_page()
        answers = {"hal": asyncio.Event()}

        async def find(typed: str) -> list[Command]:
            if typed == "hal b":  # slow: answers after a newer search
                await answers["hal"].wait()
                return [command("Open #9 · Hal Other")]
            return [command(f"Open #2 · Hal Berg ({typed})")]

        palette = Palette(page, lambda: [command("Resolve #1"), command("Run macro: Ready"), command("View: Mine")],
                          find)
        await palette.open()
        await palette.open()  # Ctrl+K again
        assert [d for d in page._dialogs.controls if d.open] == [palette.dialog]
        palette.field.value = "re"
        await palette._typed(None)
        assert [c.label for c in palette._shown] == ["Resolve #1", "Run macro: Ready"]
        palette.field.value = "macro re"
        await palette._typed(None)
        assert [c.label for c in palette._shown] == ["Open #2 · Hal Berg (macro re)", "Run macro: Ready"]

        palette.field.value = "hal b"
        slow = asyncio.ensure_future(palette._typed(None))
        await asyncio.sleep(0)
        palette.field.value = "hal be"
        await palette._typed(None)
        answers["hal"].set()
        await slow
        assert palette._shown[0].label == "Open #2 · Hal Berg (hal be)"  # the older answer was dropped
        await palette._run_first(None)
        assert ran == ["Open #2 · Hal Berg (hal be)"] and not palette.dialog.open

    asyncio.run(scenario())


def test_enter_before_the_last_keys_search_has_answered_runs_what_it_finds():
    """A quick typist presses Enter while the search for their last key is still out: the
    conversation it finds is opened, not nothing (the list may still show an older answer)."""
    ran: list[str] = []
    command = recording(ran)

    async def scenario() -> None:
        page, _wire = offline_page()
        gate = asyncio.Event()

        async def find(typed: str) -> list[Command]:
            if typed == "hal berg":
                await gate.wait()
            return [command(f"Open #2 · Hal Berg ({typed})")]

        palette = Palette(page, lambda: [command("View: Mine")], find)
        await palette.open()
        palette.field.value = "hal berg"
        typing = asyncio.ensure_future(palette._typed(None))  # its search is still out
        await asyncio.sleep(0)
        assert palette._shown == []
        enter = asyncio.ensure_future(palette._run_first(None))
        await asyncio.sleep(0)
        gate.set()
        await asyncio.gather(typing, enter)
        assert ran == ["Open #2 · Hal Berg (hal berg)"] and not palette.dialog.open

    asyncio.run(scenario())
