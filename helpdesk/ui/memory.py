"""Python's cycle collector and long-lived workspaces. A signed-in workspace keeps thousands of
control objects for as long as it is open, and every full collection walks all of them: with 50
agents signed in, a pause of ~0.4 s on a small PC every few refreshes, felt as a late update by
every agent. So once a workspace is built, what exists is moved out of the collector's reach
(`gc.freeze`); when workspaces close, one full collection a little later frees what they left in
reference cycles (frozen objects are never collected), and what remains is frozen again.
Reference counting frees everything else as usual, frozen or not."""

from __future__ import annotations

import asyncio
import gc

RELEASE_AFTER_SECONDS = 5.0  # several closing at once (a restart of the browsers) cost one collection


class SettledObjects:
    def __init__(self, release_after: float = RELEASE_AFTER_SECONDS) -> None:
        self.release_after = release_after
        self._pending: asyncio.TimerHandle | None = None

    def settle(self) -> None:
        """What exists now is long-lived: out of the collector's walks. Young garbage first, or
        it would be kept until the next release."""
        gc.collect(1)
        gc.freeze()

    def release_soon(self) -> None:
        """Something settled is garbage now: one full collection after a quiet moment, on this
        event loop (what it frees, sessions' tasks and sockets among them, is finalised on the
        thread they lived on)."""
        if self._pending is not None:
            self._pending.cancel()
        self._pending = asyncio.get_running_loop().call_later(self.release_after, self.release)

    def release(self) -> None:
        self._pending = None
        gc.unfreeze()
        gc.collect()
        gc.freeze()


settled = SettledObjects()
