"""Decoding images that anyone may send (the chat, the customer page, mail, texts) within a
budget: one child process decodes, one image at a time, under a memory cap
(helpdesk/sandbox/thumbnail.py), and at most WAITING more wait for it; past that the asker
is told the server is busy. A decode that runs past SECONDS ends the child (a new one starts).
The queue is visible (`status()`, in /api/v1/health). Nothing here blocks the event loop: the
callers are worker threads."""

from __future__ import annotations

import logging
import multiprocessing
import threading
from dataclasses import dataclass
from multiprocessing.pool import Pool
from pathlib import Path

from helpdesk.sandbox import thumbnail

log = logging.getLogger(__name__)
WAITING = 8  # images that may wait for the decoder; more are refused at once
SECONDS = 20.0  # the most one decode may take


class Busy(Exception):
    """Too many images wait for the decoder: try again in a moment (503)."""


@dataclass(frozen=True)
class Status:
    running: int
    waiting: int
    refused: int  # over the pixel budget, since start
    turned_away: int  # busy, since start


class ImageDecoder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(1 + WAITING)  # the one decoding, and those waiting
        self._turn = threading.Lock()  # one decode at a time
        self._pool: Pool | None = None
        self._queued = 0
        self.refused = 0
        self.turned_away = 0

    def _pool_now(self) -> Pool:
        if self._pool is None:
            # spawn, not fork: the server has threads, and the child needs nothing of it.
            self._pool = multiprocessing.get_context("spawn").Pool(1, initializer=thumbnail.cap_memory,
                                                                   maxtasksperchild=200)
        return self._pool

    def thumbnail(self, path: Path, size: int) -> bytes | None:
        """A JPEG thumbnail, or None when the image is over budget or cannot be read; raises Busy."""
        try:  # the header, here: an image over budget never waits for the decoder
            weight = thumbnail.weigh(str(path))
        except thumbnail.TooLarge:
            weight = thumbnail.MAX_PIXELS + 1
        except Exception:  # noqa: BLE001  (not an image Pillow knows: no preview)
            return None
        if weight > thumbnail.MAX_PIXELS:
            self.refused += 1
            return None
        if not self._slots.acquire(blocking=False):
            self.turned_away += 1
            raise Busy("too many images are being prepared; try again in a moment")
        try:
            with self._lock:
                self._queued += 1
            with self._turn:
                with self._lock:
                    self._queued -= 1
                return self._decode(path, size)
        finally:
            self._slots.release()

    def _decode(self, path: Path, size: int) -> bytes | None:
        pool = self._pool_now()
        job = pool.apply_async(thumbnail.make, (str(path), size))
        try:
            made: bytes | None = job.get(SECONDS)
            return made
        except multiprocessing.TimeoutError:
            log.warning("an image took more than %.0f s to decode: its preview is refused", SECONDS)
            self._restart()
            return None
        except thumbnail.TooLarge as exc:
            self.refused += 1
            log.info("an image was refused before decoding: %s", exc)
            return None
        except MemoryError:
            log.warning("an image needed more memory than a decode may take: its preview is refused")
            self._restart()
            return None
        except Exception as exc:  # noqa: BLE001  (a broken or hostile file: no preview, said in the log)
            log.info("an image could not be read: %s", exc.__class__.__name__)
            return None

    def _restart(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None

    def status(self) -> Status:
        with self._lock:
            waiting = self._queued
        return Status(1 if self._turn.locked() else 0, waiting, self.refused, self.turned_away)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
