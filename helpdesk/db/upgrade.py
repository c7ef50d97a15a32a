"""Opening a database another version of Helpdesk made.

- Newer than this version (a schema revision this build does not know, or a newer version
  stamped in it): refused with a message saying what to do, before anything is written.
- Older (a schema to migrate, or an older version stamped): backed up first, as
  `backups/pre-upgrade-<old>-<new>.zip` beside the database (the same verified archive as
  `helpdesk backup`, files included), then migrated.
- Either way the version that opened it is stamped in, with the one before it, so the UI can
  say once what is new."""

from __future__ import annotations

from typing import Any

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import JSON, column, delete, insert, inspect, select, table
from sqlalchemy.engine import Engine

from helpdesk.db import backup as backups
from helpdesk.db.migrate import current_revision, known_revisions, upgrade

log = logging.getLogger(__name__)
VERSION_KEY = "helpdesk.version"
# Databases from before versions were stamped were all made by the first release, whose newest
# schema was 0012; an unstamped one that is newer was migrated by a tool (migrate-to, a test
# template), not by a release: it has no version before this one.
UNSTAMPED, UNSTAMPED_LAST_SCHEMA = "0.1.0", "0012"
_SETTING = table("app_setting", column("key"), column("value", JSON))


class NewerDatabase(Exception):
    """The database was made by a newer Helpdesk; the message tells the owner what to do."""


@dataclass(frozen=True)
class Opened:
    version: str  # this build's
    previous: str | None  # the version that used the database before, when it differs; None: new or same
    migrated: bool
    backup: Path | None


def version_key(version: str) -> tuple[int, ...]:
    """'0.10.2' → (0, 10, 2); a suffix such as '-rc1' is ignored."""
    return tuple(int(n) for n in re.findall(r"\d+", version.split("-")[0].split("+")[0])[:3])


def stamped_version(engine: Engine) -> dict[str, Any] | None:
    if not inspect(engine).has_table("app_setting"):
        return None
    with engine.connect() as conn:
        value = conn.execute(select(_SETTING.c.value).where(_SETTING.c.key == VERSION_KEY)).scalar()
    return value if isinstance(value, dict) else None


def open_database(engine: Engine, version: str, sqlite_file: Path | None, backup_dir: Path | None,
                  files: Path | None) -> Opened:
    revision = current_revision(engine)
    revisions = known_revisions()  # this build's, from the migration files' names (read once)
    known, head = set(revisions), revisions[-1]
    stamp = stamped_version(engine) if revision is not None else None
    unstamped_release = (revision is not None and revision in known and revision.isdigit()
                         and int(revision) <= int(UNSTAMPED_LAST_SCHEMA))
    used_by = (stamp or {}).get("version") or (UNSTAMPED if unstamped_release else None)
    if revision is not None and revision not in known:
        raise NewerDatabase(f"this database was made by a newer Helpdesk (schema {revision}; this is Helpdesk "
                            f"{version}): install that version again, or restore a backup made for this one")
    if used_by and version_key(used_by) > version_key(version):
        raise NewerDatabase(f"this database was last used by Helpdesk {used_by}, newer than this {version}: "
                            "install that version again, or restore a backup made for this one")
    to_migrate = revision is not None and revision != head
    changed = used_by is not None and used_by != version
    made = None
    if (to_migrate or changed) and sqlite_file is not None and sqlite_file.exists() and backup_dir is not None:
        made = backups.backup(sqlite_file, _free_name(backup_dir / f"pre-upgrade-{used_by}-{version}.zip"), files)
        log.info("before upgrading from %s to %s, backed up to %s", used_by, version, made)
    if revision != head:  # at this build's schema already: Alembic is not even loaded
        upgrade(engine)
    if revision is None or changed or stamp is None:
        _stamp(engine, version, used_by if changed else (stamp or {}).get("previous"))
    return Opened(version, used_by if changed else None, to_migrate, made)


def _free_name(path: Path) -> Path:
    """A second upgrade the same day (say, after a restore) keeps the first archive."""
    n = 2
    candidate = path
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate


def _stamp(engine: Engine, version: str, previous: str | None) -> None:
    value = {"version": version, "previous": previous, "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    with engine.begin() as conn:
        conn.execute(delete(_SETTING).where(_SETTING.c.key == VERSION_KEY))
        conn.execute(insert(_SETTING).values(key=VERSION_KEY, value=value))
