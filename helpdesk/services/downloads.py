"""Files an agent takes away from the UI (a customer's export, the audit log as CSV): written to
the data folder's downloads/ (owner-only), offered under a one-time random link that lasts
LIFETIME, then deleted. The link goes to the browser or the system's, not through Flet."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Callable

LIFETIME = timedelta(minutes=10)


@dataclass(frozen=True)
class Offered:
    path: Path
    filename: str
    media_type: str
    expires: datetime


class Downloads:
    def __init__(self, data_dir: Path, now: Callable[[], datetime]) -> None:
        self.folder = data_dir / "downloads"
        self.now = now  # the app's clock
        self._offered: dict[str, Offered] = {}
        self._lock = threading.Lock()

    def offer(self, filename: str, media_type: str, write: Callable[[IO[bytes]], object]) -> str:
        """Write the file with `write(out)`; returns the token of its one-time link."""
        self._forget_expired()
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        token = secrets.token_urlsafe(24)
        path = self.folder / token
        with open(path, "xb") as out:
            path.chmod(0o600)
            write(out)
        with self._lock:
            self._offered[token] = Offered(path, filename, media_type, self.now() + LIFETIME)
        return token

    def take(self, token: str) -> Offered | None:
        """The file behind a link, once (the caller deletes it after sending)."""
        with self._lock:
            offered = self._offered.pop(token, None)
        if offered is None or offered.expires < self.now():
            if offered is not None:
                offered.path.unlink(missing_ok=True)
            return None
        return offered

    def _forget_expired(self) -> None:
        now = self.now()
        with self._lock:
            gone = [t for t, o in self._offered.items() if o.expires < now]
            for token in gone:
                self._offered.pop(token).path.unlink(missing_ok=True)
        if not self._offered and self.folder.exists():  # left over from before a restart
            for stale in self.folder.iterdir():
                stale.unlink(missing_ok=True)
