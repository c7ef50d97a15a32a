"""One server per data directory: a lock file held while Helpdesk runs. Also tells
`restore` that the database is in use, and tells the desktop window where the server that
holds it listens (the window then attaches to it instead of starting a second one: Helpdesk
started at login, the owner opens the window later)."""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]  # no such module on this OS: checked before use
try:
    import msvcrt
except ImportError:  # POSIX
    msvcrt = None  # type: ignore[assignment]  # no such module on this OS: checked before use

log = logging.getLogger(__name__)
# Windows locks byte ranges, and a locked range cannot be read by others: lock one byte far
# past the text, so another process can still read the pid and port.
_WINDOWS_LOCK_OFFSET = 1 << 20


class AlreadyRunning(Exception):
    pass


class RunLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "helpdesk.lock"
        self._fd: int | None = None

    def acquire(self, port: int | None = None) -> "RunLock":
        if fcntl is None and msvcrt is None:
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)  # owner-only, like everything in the data folder
        try:
            self._lock(fd)
        except AlreadyRunning:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()} {port or ''}".strip().encode())
        self._fd = fd
        return self

    def _lock(self, fd: int) -> None:
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:
                os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError as exc:
            if fcntl is None and exc.errno not in (errno.EACCES, errno.EDEADLK):
                log.warning("could not lock %s (%s); running without the one-server check", self.path, exc)
                return
            raise AlreadyRunning(f"Helpdesk is already running with the data in {self.path.parent}") from None

    def release(self) -> None:
        if self._fd is None:
            return
        if fcntl is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        elif msvcrt is not None:
            try:
                os.lseek(self._fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
                msvcrt.locking(self._fd, msvcrt.LK_UNLCK, 1)
            except OSError:
                log.debug("the lock was gone already", exc_info=True)
        os.close(self._fd)
        self._fd = None

    def held_elsewhere(self) -> bool:
        if not self.path.parent.is_dir():  # a first start: no data folder, so nobody holds it
            return False
        try:
            self.acquire()
        except AlreadyRunning:
            return True
        self.release()
        return False

    def note(self, port: int | None) -> None:
        """Say where this process serves without taking the lock (PostgreSQL: several processes
        may share the database, so none holds the data folder); `serving_port` reads it."""
        self.path.write_text(f"{os.getpid()} {port or ''}".strip(), encoding="ascii")
        os.chmod(self.path, 0o600)

    def serving_port(self) -> int | None:
        """The port a Helpdesk still running serves on, as it wrote it (None: none runs, or it did
        not say): the pid written beside it must be alive and not this process."""
        import psutil

        try:
            words = self.path.read_text(encoding="ascii", errors="replace").split()
        except OSError:
            return None
        if len(words) < 2 or not words[0].isdigit() or not words[1].isdigit():
            return None
        pid = int(words[0])
        return int(words[1]) if pid != os.getpid() and psutil.pid_exists(pid) else None

    def holder_port(self) -> int | None:
        """The port the Helpdesk holding the lock listens on, as it wrote it (None: not said)."""
        try:
            words = self.path.read_text(encoding="ascii", errors="replace").split()
        except OSError:
            return None
        return int(words[1]) if len(words) > 1 and words[1].isdigit() else None
