"""Backups of the shop: one .zip archive holding the SQLite database (taken with SQLite's
online backup API, consistent even while the server writes) and every stored file, verified
before it is kept. Restore brings both back; what was there before is kept beside them."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

BACKUP_PREFIX = "helpdesk-"
DB_NAME = "helpdesk.db"  # the database's name inside an archive
FILES = "files"  # and the file store's folder


class BackupError(Exception):
    """A backup or restore could not be done; the message says why, for a person."""


def sqlite_path(database_url: str) -> Path:
    if not database_url.startswith("sqlite:///"):
        raise BackupError("backups of this kind are for the built-in SQLite database; "
                          "use your database server's own tools")
    return Path(database_url[len("sqlite:///"):])


def verify(path: Path) -> None:
    """A readable SQLite file that passes integrity_check and holds a Helpdesk schema; or an
    archive whose database does."""
    if zipfile.is_zipfile(path):
        with tempfile.TemporaryDirectory() as temp:
            verify(_extract_database(path, Path(temp)))
        return
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


def _private(path: Path) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # owner-only from the start


def copy_database(database: Path, target: Path) -> None:
    """A consistent copy of the live database, in steps so writers are never held up for long."""
    _private(target)
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy, pages=1024)
    finally:
        copy.close()
        source.close()


def backup(database: Path, destination: Path, files: Path | None = None) -> Path:
    """Archive the live database and the file store at `destination` (a file, or a folder for a
    dated file). The database is copied first: a file added after that moment is not in it,
    and a file in it without its message is harmless (it is collected as unused)."""
    if not database.exists():
        raise BackupError(f"there is no database at {database}")
    if destination.is_dir():
        destination = destination / f"{BACKUP_PREFIX}{datetime.now():%Y%m%d-%H%M%S}.zip"
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(dir=destination.parent) as temp:
        copied = Path(temp) / DB_NAME
        copy_database(database, copied)
        verify(copied)
        _private(partial)
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(copied, DB_NAME)
            if files is not None and files.is_dir():
                for path in sorted(files.rglob("*")):
                    if path.is_file() and not path.name.startswith(".upload-"):
                        # Photos and PDFs are compressed already: stored as they are, fast.
                        archive.write(path, f"{FILES}/{path.relative_to(files).as_posix()}",
                                      compress_type=zipfile.ZIP_STORED)
    os.replace(partial, destination)
    return destination


def rotate(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` dated backups in `folder`; returns what was deleted."""
    backups = sorted([*folder.glob(f"{BACKUP_PREFIX}*.zip"), *folder.glob(f"{BACKUP_PREFIX}*.db")],
                     key=lambda p: p.name)
    old = backups[:-keep] if keep > 0 else backups
    for path in old:
        path.unlink(missing_ok=True)
    return old


def _extract_database(archive_path: Path, into: Path) -> Path:
    with zipfile.ZipFile(archive_path) as archive:
        if DB_NAME not in archive.namelist():
            raise BackupError(f"{archive_path} holds no Helpdesk database")
        target = into / DB_NAME
        with archive.open(DB_NAME) as source, open(target, "wb") as out:
            shutil.copyfileobj(source, out)
    return target


def restore(backup_file: Path, database: Path, files: Path | None = None) -> Path:
    """Replace the database (and, from an archive, the file store) with a verified backup; the
    current ones are kept beside them. Returns where the previous database was moved.
    Helpdesk must not be running."""
    if not backup_file.exists():
        raise BackupError(f"there is no backup at {backup_file}")
    verify(backup_file)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    previous = database.with_name(f"{database.stem}.before-restore-{stamp}.db")
    incoming = database.with_name(database.name + ".restoring")
    archived = zipfile.is_zipfile(backup_file)
    if archived:
        with tempfile.TemporaryDirectory(dir=database.parent) as temp:
            shutil.move(_extract_database(backup_file, Path(temp)), incoming)
    else:
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
    if archived and files is not None:
        if files.exists():
            files.rename(files.with_name(f"{files.name}.before-restore-{stamp}"))
        with zipfile.ZipFile(backup_file) as archive:
            for member in archive.infolist():
                name = Path(member.filename)
                if name.parts[:1] != (FILES,) or member.is_dir() or ".." in name.parts:
                    continue
                target = files / Path(*name.parts[1:])
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                with archive.open(member) as source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out)
                target.chmod(0o600)
    return previous
