"""Apply Alembic migrations at start (and from tests, to any revision).

Alembic is imported only when there is something to migrate: a database already at this
build's schema (every start but the first after an upgrade) is checked with one query and
the list of migration files, which saves ~0.3 s of every start (docs/performance.md)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Each migration file is named after its revision: versions/0013_report_rollups.py is "0013"
# (tests/db/test_migrations.py checks these agree with Alembic's own reading).
_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")


def alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision stamped in the database; None for a database never migrated."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def known_revisions() -> list[str]:
    """This build's schema revisions, oldest first."""
    names = (m.group(1) for p in (MIGRATIONS_DIR / "versions").iterdir() if (m := _REVISION_FILE.match(p.name)))
    return sorted(names)


def head_revision() -> str:
    return known_revisions()[-1]
