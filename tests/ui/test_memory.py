"""Workspaces and Python's cycle collector (helpdesk/ui/memory.py): a mounted workspace is kept out
of full collections (each one walked every signed-in agent's controls: a pause for everyone),
and a workspace that was left is freed all the same."""

from __future__ import annotations

import asyncio
import gc
import weakref

from helpdesk.ui.memory import SettledObjects, settled
from helpdesk.services.base import Actor
from tests.ui.flet_wire import offline_workspace


def test_a_mounted_workspace_is_settled_and_a_left_one_is_freed(app):
    bea = app.services.agents.create("bea@shop.example", "Bea", "a long password", role="admin", actor=Actor.system())
    gc.unfreeze()
    seen: dict[str, object] = {}

    async def scenario() -> None:
        workspace, wire = await offline_workspace(app, bea)
        seen["frozen"] = gc.get_freeze_count()
        seen["workspace"] = weakref.ref(workspace)
        await workspace.leave()
        seen["release due"] = settled._pending is not None
        del workspace, wire

    asyncio.run(scenario())
    assert seen["frozen"] > 10_000  # its thousands of controls (and all else alive) left the collector's walks
    assert seen["release due"]
    gc.collect()
    # Its controls refer to it through their handlers: a cycle, which a frozen object never
    # leaves by collection. The release after it was left frees it.
    assert seen["workspace"]() is not None
    settled.release()
    assert seen["workspace"]() is None
    assert gc.get_freeze_count() > 0  # the rest, still alive, is settled again


def test_closing_several_at_once_costs_one_collection():
    async def scenario() -> None:
        objects = SettledObjects(release_after=3600)
        objects.release_soon()
        first = objects._pending
        objects.release_soon()
        assert first is not None and first.cancelled()  # the later one stands for both
        assert objects._pending is not first and not objects._pending.cancelled()
        objects._pending.cancel()

    asyncio.run(scenario())
