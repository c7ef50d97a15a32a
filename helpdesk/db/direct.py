"""Core statements run straight on the DB-API cursor, for the intake hot path on SQLite.

SQLAlchemy spends 30-80 µs of Python on every execution (execution context, parameter
and result processing, events) around SQLite's own 3-10 µs: most of a customer
message's cost, measured with py-spy (docs/performance.md). A statement built once at
import and marked with `prepared()` runs, through a Connection wrapped by `direct()`,
compiled once per set of parameter names, on the connection's own DB-API cursor in the
same transaction, with the same bind and result processing (UTC datetimes, JSON).
Everything else (unmarked statements, lists of parameters, IN lists, Python-side column
defaults, other databases) goes to SQLAlchemy unchanged, so callers see no difference.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, Callable, Iterator, Sequence, TypeVar, cast

from sqlalchemy.engine import Connection
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.dml import Insert

_UNSUPPORTED = object()


_row_type: Callable[..., Any] = namedtuple  # a row class whose names are known only at run time


class _Plan:
    """One compiled statement: its SQL, a function from the caller's parameters to the values
    in order (processed), and one from a fetched tuple to a row (None: it returns none)."""

    __slots__ = ("sql", "values", "row", "is_insert")

    def __init__(self, sql: str, binds: list[tuple[str, Callable[[Any], Any] | None, Any]], row: Any,
                 results: list[Callable[[Any], Any] | None] | None, is_insert: bool) -> None:
        self.sql = sql
        self.values = _values_function(binds)
        self.row = _row_function(row, results) if row is not None else None
        self.is_insert = is_insert


def _values_function(binds: list[tuple[str, Callable[[Any], Any] | None, Any]]) -> Callable[[dict[str, Any]], list[Any]]:
    """`lambda p: [p["body"], conv1(p["created_at"]), fixed2, …]`, written out once per plan: a
    generic loop over the binds cost ~2 µs a statement, nine statements a customer message."""
    names: dict[str, Any] = {}
    items = []
    for i, (name, processor, fixed) in enumerate(binds):
        if not name:
            names[f"fixed{i}"] = fixed
            items.append(f"fixed{i}")
        elif processor is not None:
            names[f"conv{i}"] = processor
            items.append(f"conv{i}(p[{name!r}])")
        else:
            items.append(f"p[{name!r}]")
    return cast(Callable[[dict[str, Any]], list[Any]], eval(f"lambda p: [{', '.join(items)}]", names))


def _row_function(row: Any, results: list[Callable[[Any], Any] | None] | None) -> Callable[[tuple[Any, ...]], Any]:
    """`lambda r: Row(r[0], conv1(r[1]), …)` for a fetched tuple, written out once per plan."""
    names: dict[str, Any] = {"Row": row}
    items = []
    for i, processor in enumerate(results or ()):
        if processor is None:
            items.append(f"r[{i}]")
        else:
            names[f"conv{i}"] = processor
            items.append(f"conv{i}(r[{i}])")
    return cast(Callable[[tuple[Any, ...]], Any], eval(f"lambda r: Row({', '.join(items)})", names))


def _plan(statement: Executable, keys: tuple[str, ...], dialect: Any) -> Any:
    compiled: Any = cast(ClauseElement, statement).compile(dialect=dialect, column_keys=list(keys))
    if compiled.post_compile_params or compiled.literal_execute_params or compiled.returning:
        return _UNSUPPORTED  # IN lists, RETURNING: SQLAlchemy does those
    # Columns the statement leaves out get their Python-side defaults: constants only here.
    defaults = {}
    prefetch = [(c, c.default) for c in getattr(compiled, "insert_prefetch", ())] + \
               [(c, c.onupdate) for c in getattr(compiled, "update_prefetch", ())]
    for column, default in prefetch:
        if default is None or not default.is_scalar:
            return _UNSUPPORTED
        defaults[column.key] = default.arg
    processors = compiled._bind_processors
    binds: list[tuple[str, Callable[[Any], Any] | None, Any]] = []
    for name in compiled.positiontup or ():
        if name in keys:
            binds.append((name, processors.get(name), None))
            continue
        if name in defaults:
            value = defaults[name]
        else:  # a value written into the statement (`name == ""`), or a parameter not given
            bind = compiled.binds[name]
            if bind.required or bind.callable:
                return _UNSUPPORTED  # SQLAlchemy says what is missing
            value = bind.value
        binds.append(("", None, processors[name](value) if name in processors else value))
    row: Any = None
    results: list[Any] | None = None
    columns = compiled._result_columns
    if columns:
        names = [c[0] for c in columns]
        if len(set(names)) != len(names) or not all(n.isidentifier() and not n.startswith("_") for n in names):
            return _UNSUPPORTED
        row = _row_type("Row", names)
        results = [c[3]._cached_result_processor(dialect, None) for c in columns]
    return _Plan(compiled.string, binds, row, results, isinstance(statement, Insert))


class DirectResult:
    """The part of SQLAlchemy's Result the intake path uses."""

    def __init__(self, rows: Sequence[Any], lastrowid: int | None, rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount
        self.inserted_primary_key = (lastrowid,)

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def all(self) -> list[Any]:
        return list(self._rows)

    def scalars(self) -> "DirectResult":
        return DirectResult([r[0] for r in self._rows], None, self.rowcount)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)


# id of a prepared statement -> (the statement, kept alive so the id stays its own; its plans
# by parameter names; whether it reads settings). Filled at import; plans are added on the writer thread.
_PREPARED: dict[int, tuple[Executable, dict[tuple[str, ...], Any], bool]] = {}
# Where a group commit keeps the answers of settings reads for its writes (Connection.info).
BATCH_MEMO = "helpdesk_batch_memo"

S = TypeVar("S", bound=Executable)


def prepared(statement: S, settings: bool = False) -> S:
    """Mark a statement built once (a module constant) for the direct path. `settings`: it reads
    what customer messages never change (the active webhooks, whether a mailbox is set up), so
    inside one group commit of them it is read once and its rows reused."""
    _PREPARED[id(statement)] = (statement, {}, settings)
    return statement


class DirectConnection:
    """A Connection whose execute() takes the direct path for prepared statements."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._dialect = conn.dialect
        self._cursor = cast(Any, conn.connection.dbapi_connection).cursor()  # open while the transaction is

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def execute(self, statement: Any, parameters: Any = None, **kwargs: Any) -> Any:
        entry = _PREPARED.get(id(statement))
        if entry is None or kwargs or not isinstance(parameters, (dict, type(None))):
            return self._conn.execute(statement, parameters, **kwargs)
        params = parameters or {}
        if entry[2] and not params and (memo := self._conn.info.get(BATCH_MEMO)) is not None:
            if (result := memo.get(id(statement))) is None:
                result = memo[id(statement)] = self._run(entry, statement, params, ())
            return result
        return self._run(entry, statement, params, tuple(params))

    def _run(self, entry: Any, statement: Any, params: dict[str, Any], keys: tuple[str, ...]) -> Any:
        plan = entry[1].get(keys)
        if plan is None:
            plan = entry[1][keys] = _plan(statement, keys, self._dialect)
        if plan is _UNSUPPORTED:
            return self._conn.execute(statement, params or None)
        cursor = self._cursor
        cursor.execute(plan.sql, plan.values(params))
        rows: Sequence[Any] = ()
        if (make := plan.row) is not None:
            rows = [make(raw) for raw in cursor.fetchall()]
        return DirectResult(rows, cursor.lastrowid if plan.is_insert else None, cursor.rowcount)


def direct(conn: Connection) -> Any:
    """`conn`, taking the direct path on SQLite; unchanged elsewhere (PostgreSQL's driver
    already does less per statement, and intake's aim is set on SQLite)."""
    return DirectConnection(conn) if conn.dialect.name == "sqlite" else conn
