"""Copy a shop's database to another one (SQLite → PostgreSQL when one PC is outgrown).

The target is migrated to the newest revision, must hold no shop data, and is filled in
ONE transaction: a failure leaves it as it was. Afterwards every table is verified by
row count and by a SHA-256 checksum of its rows in key order, read back through the
same column types on both sides, so "copied" means "identical", not "no error".
The search index needs no copying: triggers (SQLite) or generated columns (PostgreSQL)
build it as rows arrive.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

import helpdesk.models  # noqa: F401  (registers the tables)
from helpdesk.db.migrate import upgrade

BATCH = 2000
# Rows a brand-new database already has (seeded by migrations); replaced by the source's.
SEEDED = {"sla_policy", "app_setting", "job_status"}
SHOP_DATA = ("agent", "api_token", "customer", "conversation", "message")


class TransferError(Exception):
    """The copy cannot start or did not verify; the message is for a person."""


@dataclass(frozen=True)
class TableResult:
    table: str
    rows: int
    checksum: str


def tables() -> list[sa.Table]:
    return list(SQLModel.metadata.sorted_tables)  # parents before children (foreign keys)


def _key(table: sa.Table) -> list[sa.Column[Any]]:
    return list(table.primary_key.columns)


def _rows(conn: Connection, table: sa.Table) -> Iterator[sa.Row[Any]]:
    """Every row in key order, in batches (keyset paging, so memory stays flat)."""
    key = _key(table)
    last: tuple[Any, ...] | None = None
    while True:
        query = sa.select(table).order_by(*key).limit(BATCH)
        if last is not None:
            query = query.where(sa.tuple_(*key) > sa.tuple_(*last))
        batch = conn.execute(query).all()
        yield from batch
        if len(batch) < BATCH:
            return
        last = tuple(getattr(batch[-1], c.name) for c in key)


def _canonical(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return repr(value)
    return value


def checksum(conn: Connection, table: sa.Table) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    for row in _rows(conn, table):
        digest.update(json.dumps([_canonical(v) for v in row], sort_keys=True, default=str,
                                 ensure_ascii=False).encode("utf-8", "surrogatepass"))
        digest.update(b"\n")
        count += 1
    return count, digest.hexdigest()


def _holds_shop_data(conn: Connection) -> str | None:
    present = set(sa.inspect(conn).get_table_names())
    for name in SHOP_DATA:
        if name in present and conn.execute(sa.text(f"SELECT 1 FROM {name} LIMIT 1")).first():
            return name
    return None


def reset_sequences(conn: Connection) -> None:
    """Rows were copied with their ids; new rows must continue after them."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables():
        if [c.name for c in _key(table)] == ["id"]:
            conn.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"))


def copy_database(source: Engine, target: Engine,
                  progress: Callable[[str], None] = lambda _line: None) -> list[TableResult]:
    if source.url == target.url:
        raise TransferError("the source and the target are the same database")
    upgrade(source)  # both sides at the same, newest revision
    try:
        upgrade(target)
    except sa.exc.SQLAlchemyError as exc:
        raise TransferError(f"cannot prepare the target database: {exc.__class__.__name__}: "
                            f"{str(exc).splitlines()[0]}") from None
    with target.connect() as conn:
        if (held := _holds_shop_data(conn)) is not None:
            raise TransferError(f"the target database already holds Helpdesk data (table {held}); "
                                "give an empty database")

    with source.connect() as src, target.begin() as dst:
        for table in tables():
            if table.name in SEEDED:
                dst.execute(table.delete())
            copied = 0
            batch: list[dict[str, Any]] = []
            for row in _rows(src, table):
                batch.append(dict(row._mapping))
                if len(batch) == BATCH:
                    dst.execute(table.insert(), batch)
                    copied += len(batch)
                    batch = []
            if batch:
                dst.execute(table.insert(), batch)
                copied += len(batch)
            progress(f"copied {table.name}: {copied} rows")
        reset_sequences(dst)

    results = []
    with source.connect() as src, target.connect() as dst:
        for table in tables():
            rows, source_sum = checksum(src, table)
            target_rows, target_sum = checksum(dst, table)
            if (rows, source_sum) != (target_rows, target_sum):
                raise TransferError(f"verification failed for {table.name}: {rows} rows ({source_sum[:12]}) "
                                    f"in the source, {target_rows} rows ({target_sum[:12]}) in the target")
            results.append(TableResult(table.name, rows, source_sum))
    return results
