"""Bulk insert and update at driver speed, inside the caller's transaction, all or nothing.

PostgreSQL (psycopg, asyncpg) writes by binary COPY; SQLite by `executemany` of tuples on the
driver cursor; any other dialect by Core executemany. Each call runs in a SAVEPOINT, so a
rejected row leaves the table exactly as before and the session's transaction usable. Objects
the session already holds for rewritten rows are expired, so the ORM never serves stale values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Boolean, Float, Insert, Integer, String, Table, Update, insert, select, tuple_, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from labkit.db import bulk_postgres
from labkit.db.bulk_plan import BulkPlan, first_type_mismatch, plan_rows, row_failure, table_of
from labkit.errors import BulkInputError, BulkWriteError, UnknownFieldError

__all__ = [
    "OnConflict", "LoadedObjects", "bulk_insert", "bulk_update", "bulk_insert_async", "bulk_update_async",
]

OnConflict = Literal["error", "ignore", "update"]
_ON_CONFLICT = ("error", "ignore", "update")
LoadedObjects = Literal["expire", "refresh"]  # what happens to objects the session holds for rewritten rows
_LOADED = ("expire", "refresh")
_NATIVE = (Integer, String, Float, Boolean)  # types sqlite3 stores as given, no bind processor


def bulk_insert(
    session: Session,
    model: type[Any] | Table,
    records: Iterable[Mapping[str, Any]],
    *,
    batch_size: int = 1000,
    on_conflict: OnConflict = "error",
    conflict_columns: Sequence[str] | None = None,
    loaded: LoadedObjects = "expire",
) -> int:
    """Insert `records` (mappings with the same keys) into `model`'s table; the number written.

    `on_conflict="ignore"` or `"update"` upserts on `conflict_columns` (default: the primary key);
    objects the session holds for rows an upsert rewrote are expired or refreshed (`loaded`).
    """
    _check_options(batch_size, loaded)
    if on_conflict not in _ON_CONFLICT:
        raise BulkInputError(f"on_conflict={on_conflict!r} is not valid: expected one of {', '.join(_ON_CONFLICT)}")
    plan = plan_rows(model, records, operation="bulk_insert")
    if not plan.rows:
        return 0
    conflict = _conflict_columns(plan, conflict_columns) if on_conflict != "error" else None
    with session.begin_nested():
        connection = session.connection()
        kind = _path(connection)
        if kind == "copy":
            if conflict is None:
                written = bulk_postgres.copy_insert(connection, plan, batch_size)
            else:
                written = bulk_postgres.staged_merge(connection, plan, operation="bulk_insert",
                                                     batch_size=batch_size, on_conflict=on_conflict,
                                                     conflict_columns=conflict)
        elif kind == "sqlite":
            written = _sqlite_insert(connection, plan, batch_size, on_conflict, conflict)
        else:
            written = _core_insert(connection, plan, batch_size, on_conflict, conflict)
    if on_conflict == "update":  # rows found by their conflict columns: by key only if those are the key
        pk = {c.key for c in plan.table.primary_key.columns}
        _resync(session, plan, loaded, by_key=set(conflict or ()) == pk)
    return written


def bulk_update(
    session: Session,
    model: type[Any] | Table,
    updates: Iterable[Mapping[str, Any]],
    *,
    batch_size: int = 500,
    loaded: LoadedObjects = "expire",
) -> int:
    """Update rows by primary key: each mapping holds the key and the new values; rows matched.

    Objects the session already holds for those rows are expired (reloaded on next access) or,
    with `loaded="refresh"`, reloaded at once in one SELECT per class.
    """
    _check_options(batch_size, loaded)
    table = table_of(model)
    keys = [c.key for c in table.primary_key.columns]
    plan = plan_rows(model, updates, operation="bulk_update", require_keys=keys)
    if not plan.rows:
        return 0
    if len(plan.columns) == len(keys):
        raise BulkInputError(f"bulk_update of {plan.name}: records carry only the primary key, nothing to set")
    with session.begin_nested():
        connection = session.connection()
        kind = _path(connection)
        if kind == "copy":
            written = bulk_postgres.staged_merge(connection, plan, operation="bulk_update", batch_size=batch_size)
        elif kind == "sqlite":
            written = _sqlite_update(connection, plan, batch_size)
        else:
            written = _core_update(connection, plan, batch_size)
    _resync(session, plan, loaded)
    return written


async def bulk_insert_async(session: AsyncSession, model: type[Any] | Table, records: Iterable[Mapping[str, Any]],
                            **options: Any) -> int:
    """`bulk_insert` for an AsyncSession (asyncpg COPY, aiosqlite executemany); loaded objects refreshed."""
    options.setdefault("loaded", "refresh")  # an async session cannot lazy-load an expired attribute
    return await session.run_sync(bulk_insert, model, records, **options)


async def bulk_update_async(session: AsyncSession, model: type[Any] | Table, updates: Iterable[Mapping[str, Any]],
                            **options: Any) -> int:
    """`bulk_update` for an AsyncSession; loaded objects refreshed."""
    options.setdefault("loaded", "refresh")
    return await session.run_sync(bulk_update, model, updates, **options)


def _check_options(batch_size: int, loaded: str) -> None:
    if batch_size < 1:
        raise BulkInputError(f"batch_size={batch_size!r} is not valid: expected an integer >= 1")
    if loaded not in _LOADED:
        raise BulkInputError(f"loaded={loaded!r} is not valid: expected one of {', '.join(_LOADED)}")


def _resync(session: Session, plan: BulkPlan, loaded: LoadedObjects, *, by_key: bool = True) -> None:
    """Expire (and with `refresh`, reload) what the session holds for rows the call rewrote.

    The writes bypass the ORM, which would otherwise keep serving the old values. With `by_key`,
    rows are matched by the primary key the records carry; otherwise (or when they carry none)
    every loaded object of the table expires.
    """
    held = [(state.class_, tuple(state.key[1]), obj) for state in session.identity_map.all_states()
            if state.mapper.local_table is plan.table and state.key is not None and (obj := state.obj()) is not None]
    if not held:  # the usual case: nothing of this table is loaded, nothing to scan
        return
    keys = [c.key for c in plan.table.primary_key.columns]
    if by_key and keys and all(k in plan.columns for k in keys):
        where = [plan.columns.index(k) for k in keys]
        written = {tuple(row[i] for i in where) for row in plan.rows}
        held = [entry for entry in held if entry[1] in written]
    for _, _, obj in held:
        session.expire(obj)
    if loaded == "refresh":
        _reload(session, [(cls, ident) for cls, ident, _ in held])


def _reload(session: Session, identities: Sequence[tuple[type, tuple[Any, ...]]], chunk: int = 500) -> None:
    """Load expired objects again, one SELECT per class and chunk, so async code reads them without awaiting."""
    by_class: dict[type, list[tuple[Any, ...]]] = {}
    for cls, ident in identities:
        by_class.setdefault(cls, []).append(ident)
    for cls, idents in by_class.items():
        columns: Sequence[Any] = sa_inspect(cls).primary_key
        for i in range(0, len(idents), chunk):
            part = idents[i:i + chunk]
            match = columns[0].in_([k[0] for k in part]) if len(columns) == 1 else tuple_(*columns).in_(part)
            session.execute(select(cls).where(match).execution_options(populate_existing=True)).all()


def _path(connection: Connection) -> str:
    dialect = connection.dialect
    if dialect.name == "postgresql" and dialect.driver in ("psycopg", "asyncpg"):
        return "copy"
    if dialect.name == "sqlite":
        return "sqlite"
    return "core"


def _conflict_columns(plan: BulkPlan, given: Sequence[str] | None) -> list[str]:
    names = list(given) if given else [c.key for c in plan.table.primary_key.columns]
    for name in names:
        if name not in plan.table.columns:
            raise UnknownFieldError(plan.name, "column", name, [c.key for c in plan.table.columns])
        if name not in plan.columns:
            raise BulkInputError(f"bulk_insert into {plan.name}: conflict column {name!r} is not in the records")
    return names


def _processed_rows(connection: Connection, plan: BulkPlan) -> list[tuple[Any, ...]]:
    """Rows with SQLAlchemy's bind processors applied where the driver needs them (dates…).

    Converted column by column (transpose, map, transpose back), which keeps the loops in C.
    """
    converters = [_converter(plan.table.columns[key].type, connection.dialect) for key in plan.columns]
    if not any(converters):
        return plan.rows
    columns: list[Any] = list(zip(*plan.rows))
    for index, convert in enumerate(converters):
        if convert is not None:
            columns[index] = list(map(convert, columns[index]))
    return list(zip(*columns))


_DEFAULT_SQLITE_DATETIME = sqlite.DATETIME._storage_format


def _converter(column_type: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    if isinstance(column_type, _NATIVE):
        return None
    processor = column_type._cached_bind_processor(dialect)
    impl = column_type.dialect_impl(dialect)
    if processor is None or type(impl) is not sqlite.DATETIME or impl._storage_format != _DEFAULT_SQLITE_DATETIME:
        return processor
    isoformat = datetime.isoformat

    def fast(value: Any) -> Any:
        # same text as SQLAlchemy's SQLite DATETIME format, from C: "YYYY-MM-DD HH:MM:SS.ffffff"
        if type(value) is datetime:
            return isoformat(value, " ", "microseconds")[:26]
        return processor(value)

    return fast


def _sql_names(connection: Connection, plan: BulkPlan, keys: Sequence[str]) -> list[str]:
    quote = connection.dialect.identifier_preparer.quote
    return [quote(plan.table.columns[k].name) for k in keys]


def _sqlite_insert(connection: Connection, plan: BulkPlan, batch_size: int,
                   on_conflict: str, conflict: list[str] | None) -> int:
    names = _sql_names(connection, plan, plan.columns)
    target = connection.dialect.identifier_preparer.format_table(plan.table)
    statement = f"INSERT INTO {target} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    if conflict is not None:
        keys = ", ".join(_sql_names(connection, plan, conflict))
        sets = [f"{n} = excluded.{n}" for k, n in zip(plan.columns, names) if k not in conflict]
        action = "DO UPDATE SET " + ", ".join(sets) if on_conflict == "update" and sets else "DO NOTHING"
        statement += f" ON CONFLICT ({keys}) {action}"
    return _sqlite_executemany(connection, plan, statement, _processed_rows(connection, plan),
                               batch_size, "bulk_insert", exact_rows=conflict is None)


def _sqlite_update(connection: Connection, plan: BulkPlan, batch_size: int) -> int:
    keys = plan.key_columns
    values = [k for k in plan.columns if k not in keys]
    sets = ", ".join(f"{n} = ?" for n in _sql_names(connection, plan, values))
    where = " AND ".join(f"{n} = ?" for n in _sql_names(connection, plan, keys))
    target = connection.dialect.identifier_preparer.format_table(plan.table)
    order = [plan.columns.index(k) for k in values + keys]
    rows = [tuple(row[i] for i in order) for row in _processed_rows(connection, plan)]
    return _sqlite_executemany(connection, plan, f"UPDATE {target} SET {sets} WHERE {where}", rows,
                               batch_size, "bulk_update", exact_rows=False)


def _binding_mismatch(error: BaseException, plan: BulkPlan, start: int) -> tuple[int, str] | None:
    """(row, description) of the value sqlite3 refused to bind, when that is what failed."""
    import sqlite3

    if not isinstance(getattr(error, "orig", error), (sqlite3.InterfaceError, sqlite3.ProgrammingError)):
        return None
    found = first_type_mismatch(plan, start)
    return None if found is None else (found[0], found[2])


def _sqlite_executemany(connection: Connection, plan: BulkPlan, statement: str, rows: list[tuple[Any, ...]],
                        batch_size: int, operation: str, *, exact_rows: bool) -> int:
    """executemany of tuples per batch (monitors see each batch); a failure names the row or batch."""
    before = connection.exec_driver_sql("SELECT total_changes()").scalar() if exact_rows else 0
    count = 0
    start = 0
    try:
        for start in range(0, len(rows), batch_size):
            result = connection.exec_driver_sql(statement, rows[start:start + batch_size])
            count += max(result.rowcount, 0)
    except Exception as error:
        reason = " ".join(str(getattr(error, "orig", error)).split())
        mismatch = _binding_mismatch(error, plan, start)
        if mismatch is not None:  # a value sqlite3 cannot bind: name its row, column and type
            index, described = mismatch
            head = row_failure(operation, plan.name, index, len(rows), batch_size)
            raise BulkWriteError(f"{head}: {described}: {reason}", row=index, batch=index // batch_size) from error
        if exact_rows:
            index = int(connection.exec_driver_sql("SELECT total_changes()").scalar() or 0) - int(before or 0)
            head = row_failure(operation, plan.name, index, len(rows), batch_size)
            raise BulkWriteError(f"{head}: {reason}", row=index, batch=index // batch_size) from error
        end = min(start + batch_size, len(rows))
        batch = start // batch_size
        raise BulkWriteError(
            f"{operation} into {plan.name} failed in batch {batch + 1} of {-(-len(rows) // batch_size)} "
            f"(records[{start}:{end}]); nothing of this call was written: {reason}",
            batch=batch,
        ) from error
    return count


def _core_insert(connection: Connection, plan: BulkPlan, batch_size: int,
                 on_conflict: str, conflict: list[str] | None) -> int:
    if conflict is not None:
        raise BulkInputError(f"on_conflict={on_conflict!r} needs PostgreSQL or SQLite, not {connection.dialect.name}")
    statement = insert(plan.table)
    return _core_batches(connection, plan, statement, plan.columns, batch_size, "bulk_insert")


def _core_update(connection: Connection, plan: BulkPlan, batch_size: int) -> int:
    from sqlalchemy import bindparam

    table = plan.table
    keys = plan.key_columns
    statement = update(table).where(*[table.c[k] == bindparam(f"pk_{k}") for k in keys]).values(
        {k: bindparam(f"v_{k}") for k in plan.columns if k not in keys}
    )
    names = [f"pk_{k}" if k in keys else f"v_{k}" for k in plan.columns]
    return _core_batches(connection, plan, statement, names, batch_size, "bulk_update")


def _core_batches(connection: Connection, plan: BulkPlan, statement: Insert | Update, names: list[str],
                  batch_size: int, operation: str) -> int:
    count = 0
    for start in range(0, len(plan.rows), batch_size):
        chunk = [dict(zip(names, row)) for row in plan.rows[start:start + batch_size]]
        try:
            result = connection.execute(statement, chunk)
        except Exception as error:
            raise BulkWriteError(
                f"{operation} into {plan.name} failed in batch {start // batch_size + 1} "
                f"(records[{start}:{start + len(chunk)}]); nothing of this call was written: {error}",
                batch=start // batch_size,
            ) from error
        count += max(result.rowcount, 0) if operation == "bulk_update" else len(chunk)
    return count


