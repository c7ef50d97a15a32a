"""Alembic environment. Run programmatically by helpdesk.db.migrate with an open
connection; render_as_batch lets later ALTERs work on SQLite."""

from alembic import context
from sqlmodel import SQLModel

import helpdesk.models  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config
target_metadata = SQLModel.metadata


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    # The full-text tables are made by hand (migration 0002), not from the models.
    # So is APScheduler's job table (created by its job store when the scheduler starts).
    # On PostgreSQL the index is a generated column and a GIN index per table (also 0002).
    if type_ == "table":
        return not (name and (name.startswith("fts_") or name == "apscheduler_jobs"))
    if type_ == "column":
        return name != "search_vector"
    if type_ == "index":
        return not (name and name.startswith("fts_"))
    return True


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("helpdesk migrations run through helpdesk.db.migrate, with a connection")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
