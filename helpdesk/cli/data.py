"""`backup`, `restore` and `migrate-to`: the shop's data as a whole, while Helpdesk is stopped."""

from __future__ import annotations

from pathlib import Path

from helpdesk.config import DB_FILENAME, ConfigError, Settings


def backup(settings: Settings, path: Path) -> int:
    from helpdesk.db import backup as backups

    try:
        made = backups.backup(backups.sqlite_path(settings.effective_database_url), path,
                              settings.data_dir / backups.FILES)
    except (backups.BackupError, OSError) as exc:
        raise ConfigError(str(exc)) from None
    print(f"backup written to {made} ({made.stat().st_size // 1024} KiB: the database and its files)")
    return 0


def refuse_while_running(settings: Settings, then: str) -> None:
    from helpdesk.host.runlock import RunLock

    if not settings.database_url and RunLock(settings.data_dir).held_elsewhere():
        raise ConfigError(f"Helpdesk is running with this data; stop it, then {then}")


def restore(settings: Settings, path: Path) -> int:
    from helpdesk.db import backup as backups

    refuse_while_running(settings, "restore")
    try:
        previous = backups.restore(path, backups.sqlite_path(settings.effective_database_url),
                                   settings.data_dir / backups.FILES)
    except (backups.BackupError, OSError) as exc:
        raise ConfigError(str(exc)) from None
    print(f"restored {path}; the previous database was kept as {previous}")
    return 0


def migrate_to(settings: Settings, target_url: str) -> int:
    import sqlalchemy as sa

    from helpdesk.db import Database
    from helpdesk.db.transfer import TransferError, copy_database

    refuse_while_running(settings, "migrate")
    if settings.is_sqlite and not settings.database_url and not (settings.data_dir / DB_FILENAME).exists():
        raise ConfigError(f"no Helpdesk database in {settings.data_dir}")
    try:
        target = Database(target_url)
    except (sa.exc.ArgumentError, ImportError, ValueError) as exc:
        raise ConfigError(f"not a database URL: {target_url!r} ({exc})") from None
    source = Database(settings.effective_database_url)
    shown = sa.make_url(target_url).render_as_string(hide_password=True)
    print(f"copying {settings.effective_database_url} to {shown}")
    try:
        results = copy_database(source.engine, target.engine, progress=lambda line: print("  " + line))
    except TransferError as exc:
        raise ConfigError(str(exc)) from None
    except sa.exc.OperationalError as exc:
        raise ConfigError(f"cannot reach the database: {str(exc.orig).strip().splitlines()[0]}") from None
    finally:
        source.dispose()
        target.dispose()
    print(f"verified {len(results)} tables, {sum(r.rows for r in results)} rows; every count and checksum matches:")
    for r in results:
        print(f"  {r.table:<22} {r.rows:>9}  sha256 {r.checksum[:16]}")
    print(f"done. Start Helpdesk on it with HELPDESK_DATABASE_URL={shown} (the SQLite file is left as it was)")
    return 0
