"""When a session's next live refresh may start.

One event loop serves every session's clicks, so while events keep coming (customers writing
fast, many agents at work) a session's refreshes start at most every MIN_REFRESH_INTERVAL and
take at most 1/REFRESH_COST_SHARE of its time: a click must not queue behind refreshes nobody
can read that fast anyway. The share is kept as a credit of refresh time that grows back at
that rate, up to REFRESH_BURST_SECONDS, so a session that has been quiet refreshes at once.

Before, each refresh was followed by three times its own length of quiet. With fifty agents one
message's refresh takes each session as long as all fifty together (they share the loop), so
the next message, a second later, waited up to two seconds in sessions that had done nothing
else (bench/sessions.py, docs/performance.md). Over a long run of events the share is the same.
"""

from __future__ import annotations

MIN_REFRESH_INTERVAL = 0.25
REFRESH_COST_SHARE = 4
REFRESH_BURST_SECONDS = 1.0


class RefreshPacer:
    """A session's refresh credit. Times are the event loop's (seconds)."""

    def __init__(self) -> None:
        self.credit = REFRESH_BURST_SECONDS
        self._ended: float | None = None

    def refreshed(self, started: float, ended: float) -> float:
        """A refresh ran from `started` to `ended`: the time before which the next must not start."""
        if self._ended is not None:  # grown back since the last refresh ended, this one included
            self.credit = min(REFRESH_BURST_SECONDS, self.credit + (ended - self._ended) / REFRESH_COST_SHARE)
        self._ended = ended
        self.credit -= ended - started
        owed = max(0.0, -self.credit) * REFRESH_COST_SHARE  # quiet until the credit is back to nothing
        return max(started + MIN_REFRESH_INTERVAL, ended + owed)
