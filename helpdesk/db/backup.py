"""Backups of the SQLite database with SQLite's online backup API: consistent even while
the server is writing, and verified before they are kept."""

from __future__ import annotations

import os
import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

BACKUP_PREFIX = "helpdesk-"


class BackupError(Exception):
    """A backup or restore could not be done; the message says why, for a person."""


def sqlite_path(database_url: str) -> Path:
    if not database_url.startswith("sqlite:///"):
        raise BackupError("backups of this kind are for the built-in SQLite database; "
                          "use your database server's own tools")
    return Path(database_url[len("sqlite:///"):])


def verify(path: Path) -> None:
    """A readable SQLite file that passes integrity_check and holds a Helpdesk schema."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            result = db.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a usable database: {exc}") from None
    if result != "ok":
        raise BackupError(f"{path} failed its integrity check: {result}")
    if not {"alembic_version", "conversation", "message"} <= tables:
        raise BackupError(f"{path} is not a Helpdesk database")


def backup(database: Path, destination: Path) -> Path:
    """Copy the live database to `destination` (a file, or a folder for a dated file)."""
    if not database.exists():
        raise BackupError(f"there is no database at {database}")
    if destination.is_dir():
        destination = destination / f"{BACKUP_PREFIX}{datetime.now():%Y%m%d-%H%M%S}.db"
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # owner-only from the start
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    target = sqlite3.connect(partial)
    try:
        source.backup(target, pages=1024)  # in steps, so writers are never held up for long
    finally:
        target.close()
        source.close()
    verify(partial)
    os.replace(partial, destination)
    return destination


def rotate(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` dated backups in `folder`; returns what was deleted."""
    backups = sorted(folder.glob(f"{BACKUP_PREFIX}*.db"))
    old = backups[:-keep] if keep > 0 else backups
    for path in old:
        path.unlink(missing_ok=True)
    return old


def restore(backup_file: Path, database: Path) -> Path:
    """Replace the database with a verified backup; the current one is kept beside it.
    Returns where the previous database was moved. Helpdesk must not be running."""
    verify(backup_file)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    previous = database.with_name(f"{database.stem}.before-restore-{stamp}.db")
    incoming = database.with_name(database.name + ".restoring")
    shutil.copyfile(backup_file, incoming)
    incoming.chmod(0o600)
    if database.exists():
        # Fold the write-ahead log into the old file first, so what is kept is complete.
        with sqlite3.connect(database) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        os.replace(database, previous)
    for suffix in ("-wal", "-shm"):  # a stale log must never be applied to the restored file
        Path(str(database) + suffix).unlink(missing_ok=True)
    os.replace(incoming, database)
    return previous
