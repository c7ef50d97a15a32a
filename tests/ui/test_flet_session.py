"""ui/flet_session.py's patch_control keeps Flet's mount bookkeeping: a control added is mounted,
one removed is unmounted, one moved between lists in the same update is neither, and the
session's index holds exactly the controls on the page."""

from __future__ import annotations

import asyncio

import flet as ft
from flet.messaging.session import Session

from helpdesk.ui import flet_session, flet_speedups  # noqa: F401  (installs)
from tests.ui.flet_wire import offline_page

EVENTS: list[str] = []


class Marked(ft.Text):
    def did_mount(self) -> None:
        EVENTS.append(f"mount {self.value}")

    def will_unmount(self) -> None:
        EVENTS.append(f"unmount {self.value}")


def test_added_removed_and_moved_controls_are_mounted_and_unmounted_as_flet_does() -> None:
    assert Session.patch_control is flet_session.patch_control  # installed on this Flet

    async def scenario() -> None:
        page, wire = offline_page()
        left, right = ft.Column([Marked("a"), Marked("b")]), ft.Column([Marked("c")])
        page.add(ft.Row([left, right]))
        assert EVENTS == ["mount a", "mount b", "mount c"]
        EVENTS.clear()
        moved, gone = left.controls
        left.controls = [Marked("d")]  # a new one; "b" leaves the page
        right.controls.append(moved)  # "a" moves, in the same update
        page.update()
        assert sorted(EVENTS) == ["mount d", "unmount b"]
        index = page.session._Session__index  # type: ignore[union-attr]
        assert moved._i in index and gone._i not in index and left.controls[0]._i in index
        del wire

    asyncio.run(scenario())
