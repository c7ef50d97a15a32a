"""Rate limits: token buckets per key (an API token, a client address), on the app clock.

They answer "how long must this caller wait", never sleep: the API turns a wait into
429 with Retry-After, the sign-in form into a message. Limits live in memory, per
process: they exist to blunt floods and guessing, not to meter usage.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from helpdesk.clock import Clock
from helpdesk.services.errors import ServiceError

MAX_KEYS = 10_000  # beyond this many callers, full (idle) buckets are forgotten
_WHOLE = 1 - 1e-9  # a token refilled over exactly its interval counts, despite float rounding


class RateLimited(ServiceError):
    code = "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = max(1, math.ceil(retry_after))


@dataclass
class _Bucket:
    tokens: float
    at: float  # clock seconds of the last refill


@dataclass(frozen=True)
class Limit:
    per_minute: float  # sustained rate
    burst: int  # how many may come at once

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0


class RateLimiter:
    def __init__(self, clock: Clock, limit: Limit) -> None:
        self.clock = clock
        self.limit = limit
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def _refilled(self, key: str, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_KEYS:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(float(self.limit.burst), now)
        else:
            rate = self.limit.per_minute / 60.0
            bucket.tokens = min(float(self.limit.burst), bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
        return bucket

    def _forget_full(self, now: float) -> None:
        rate = self.limit.per_minute / 60.0
        for key in [k for k, b in self._buckets.items() if b.tokens + (now - b.at) * rate >= self.limit.burst]:
            del self._buckets[key]

    def _seconds(self) -> float:
        return self.clock.now().timestamp()

    def wait(self, key: str, amount: float = 1.0) -> float:
        """Seconds until `key` may act again, or keep `amount` more (0: now). Takes nothing."""
        if not self.limit.enabled:
            return 0.0
        with self._lock:
            bucket = self._refilled(key, self._seconds())
            needed = min(amount, self.limit.burst)
            return 0.0 if bucket.tokens >= needed * _WHOLE else (needed - bucket.tokens) * 60.0 / self.limit.per_minute

    def take(self, key: str, amount: float = 1.0) -> float:
        """Count `amount` (one action, or bytes kept) by `key`; returns 0 if allowed, else the
        seconds to wait (and takes nothing)."""
        if not self.limit.enabled:
            return 0.0
        with self._lock:
            bucket = self._refilled(key, self._seconds())
            if bucket.tokens >= amount * _WHOLE:
                bucket.tokens = max(0.0, bucket.tokens - amount)
                return 0.0
            return (min(amount, self.limit.burst) - bucket.tokens) * 60.0 / self.limit.per_minute

    def check(self, key: str, message: str) -> None:
        """take(), raising RateLimited with a wait a person can read."""
        wait = self.take(key)
        if wait:
            raise RateLimited(f"{message}; try again in {wait_in_words(wait)}", wait)


UPLOAD_BURST = 100_000_000  # two full 50 MB messages at once
UPLOAD_ADDRESS_HOURLY = 200_000_000
UPLOAD_VISITOR_HOURLY = 100_000_000
UPLOAD_TOTAL_HOURLY = 2_000_000_000


def wait_in_words(seconds: float) -> str:
    seconds = max(1, math.ceil(seconds))
    return f"{seconds} s" if seconds < 90 else f"{math.ceil(seconds / 60)} min"


class RateLimits:
    """The app's limits (docs/security.md, "Budgets"). Generous for people and real integrations; floods and guessing
    get 429 (API, customer page) or a wait message (sign-in)."""

    def __init__(self, clock: Clock, intake_per_minute: int, chat_per_address: int = 120) -> None:
        # Per API token: a flood guard so one integration cannot starve the inbox.
        self.intake = RateLimiter(clock, Limit(intake_per_minute, burst=max(1, intake_per_minute // 6)))
        # Per client address: requests with a missing or wrong API token (token guessing).
        self.bad_token = RateLimiter(clock, Limit(per_minute=30, burst=30))
        # Per client address: unknown customer links (link guessing). A valid link is never
        # limited by what others at the same address got wrong.
        self.customer_page = RateLimiter(clock, Limit(per_minute=30, burst=15))
        # Per conversation: replies and ratings sent from its page (a stuck form or a script).
        self.customer_posts = RateLimiter(clock, Limit(per_minute=30, burst=15))
        # The website chat, per visitor and per address: messages a person types, and reads
        # (the thread, live updates) a page makes.
        self.chat_posts = RateLimiter(clock, Limit(per_minute=20, burst=10))  # per visitor
        self.chat_reads = RateLimiter(clock, Limit(per_minute=240, burst=120))  # per visitor
        # Per address: many customers may share one (a shop's Wi-Fi, a carrier's NAT).
        self.chat_address_posts = RateLimiter(clock, Limit(chat_per_address, burst=max(1, chat_per_address // 2)))
        self.chat_address_reads = RateLimiter(clock, Limit(chat_per_address * 10,
                                                           burst=max(1, chat_per_address * 5)))
        # The help center, per address: searches and "Did this help?" votes (reading is not limited).
        self.help_searches = RateLimiter(clock, Limit(per_minute=120, burst=60))
        # Bytes of files anyone may leave on the shop PC without an account (the chat, the customer
        # page): per address, per visitor or conversation, and all of them together, an hour.
        self.upload_address = RateLimiter(clock, Limit(per_minute=UPLOAD_ADDRESS_HOURLY / 60, burst=UPLOAD_BURST))
        self.upload_visitor = RateLimiter(clock, Limit(per_minute=UPLOAD_VISITOR_HOURLY / 60, burst=UPLOAD_BURST))
        self.upload_total = RateLimiter(clock, Limit(per_minute=UPLOAD_TOTAL_HOURLY / 60, burst=UPLOAD_TOTAL_HOURLY))
        self._uploads = threading.Lock()
        # Per client address: failed sign-ins, 20 at once then one per 3 minutes (the
        # per-email lockout comes on top). Successful sign-ins cost nothing.
        self.sign_in = RateLimiter(clock, Limit(per_minute=1 / 3, burst=20))

    def keep_uploads(self, address: str, sender: str, size: int) -> float:
        """Whether `size` bytes of files from this address and sender (a visitor, a conversation)
        may be kept: 0, and counted; else the seconds to wait, and nothing counted. `size` 0
        asks whether anything at all may come now (before a body is read)."""
        wanted = max(1, size)
        buckets = ((self.upload_address, address), (self.upload_visitor, sender), (self.upload_total, "all"))
        with self._uploads:
            wait = max(limiter.wait(key, wanted) for limiter, key in buckets)
            if wait or not size:
                return wait
            for limiter, key in buckets:
                limiter.take(key, size)
            return 0.0
