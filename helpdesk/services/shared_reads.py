"""One database read for the many who ask the same question at once.

A customer message reaches every signed-in agent's inbox, and each agent's session refreshes:
fifty agents on the All view would read the same page fifty times within a few milliseconds,
on the one process that also serves their clicks. Here the first to ask reads; who asks the same
while that read runs waits for it, and who asks soon after gets its result, as long as nothing
was written since it began (the event bus's data_version) and it is at most FRESH_FOR old (what
depends on the time alone: overdue flags, and other processes' writes on SQLite, which no event
announces). A read that fails is not shared: each waiter then reads on its own.

The result is shared as it is: callers must not change it (pass rows on as tuples, copy lists).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Hashable, TypeVar, cast

T = TypeVar("T")
FRESH_FOR = 1.0  # seconds: on the service's clock and on the process's own
KEEP_AT_MOST = 512  # entries; older ones are dropped first


@dataclass
class _Read:
    version: int
    clock_at: datetime
    started: float
    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    failed: bool = False


class SharedReads:
    def __init__(self, data_version: Callable[[], int], now: Callable[[], datetime],
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._data_version = data_version
        self._now = now
        self._monotonic = monotonic
        self._reads: dict[Hashable, _Read] = {}
        self._lock = threading.Lock()
        self.reads = 0  # how many times a read really ran (for tests and benchmarks)

    def get(self, key: Hashable, read: Callable[[], T]) -> T:
        version, clock_at, started = self._data_version(), self._now(), self._monotonic()
        with self._lock:
            entry = self._reads.get(key)
            mine = entry is None or not self._usable(entry, version, clock_at, started)
            if mine:
                entry = self._reads[key] = _Read(version, clock_at, started)
                if len(self._reads) > KEEP_AT_MOST:
                    for old in sorted(self._reads, key=lambda k: self._reads[k].started)[:KEEP_AT_MOST // 4]:
                        if old != key:
                            del self._reads[old]
        assert entry is not None
        if not mine:
            entry.done.wait()
            return read() if entry.failed else cast(T, entry.value)
        try:
            self.reads += 1
            entry.value = read()
        except BaseException:
            entry.failed = True
            with self._lock:
                if self._reads.get(key) is entry:
                    del self._reads[key]
            raise
        finally:
            entry.done.set()
        return cast(T, entry.value)

    @staticmethod
    def _usable(entry: _Read, version: int, clock_at: datetime, started: float) -> bool:
        return (not entry.failed and entry.version == version
                and abs((clock_at - entry.clock_at).total_seconds()) <= FRESH_FOR
                and started - entry.started <= FRESH_FOR)

    def forget(self) -> None:
        """Drop every result kept (a benchmark timing the reads themselves)."""
        with self._lock:
            self._reads.clear()
