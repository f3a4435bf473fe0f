"""PostgreSQL bulk writes by binary COPY on the session's own connection (psycopg or asyncpg).

Inserts COPY straight into the table; updates and upserts COPY into a temporary staging
table and merge with one `UPDATE … FROM` or `INSERT … SELECT … ON CONFLICT`.
"""

from __future__ import annotations

import re
import time
import uuid
from operator import length_hint
from typing import Any

from sqlalchemy import Integer, text
from sqlalchemy.engine import Connection
from sqlalchemy.util import await_only

from labkit.db.bulk_plan import BulkPlan, first_type_mismatch, row_failure
from labkit.errors import BulkWriteError
from labkit.monitor.hooks import observe

__all__ = ["copy_insert", "staged_merge"]

_COPY_LINE = re.compile(r"COPY [^,]+, line (\d+)")


def _driver(connection: Connection) -> Any:
    return connection.connection.driver_connection


def _is_asyncpg(connection: Connection) -> bool:
    return connection.dialect.driver == "asyncpg"


def _column_oids(connection: Connection, plan: BulkPlan) -> dict[str, int]:
    """Type OIDs of the table's columns, cached per connection and table definition."""
    qualified = _qualified(plan, connection)
    key = (qualified, tuple((c.name, str(c.type)) for c in plan.table.columns))
    cache: dict[Any, dict[str, int]] = connection.info.setdefault("labkit_column_oids", {})
    if key not in cache:
        result = connection.execute(
            text(
                "SELECT attname, atttypid::int FROM pg_attribute "
                "WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 AND NOT attisdropped"
            ),
            {"t": qualified},
        )
        cache[key] = {name: oid for name, oid in result}
    return cache[key]


def _qualified(plan: BulkPlan, connection: Connection) -> str:
    return connection.dialect.identifier_preparer.format_table(plan.table)


def _copy(connection: Connection, target: str, schema: str | None, names: list[str],
          oids: list[int], rows: list[tuple[Any, ...]]) -> None:
    """Binary COPY of `rows` into `target`; on a rejected row, its 0-based index is raised."""
    start = time.perf_counter()
    driver = _driver(connection)
    if _is_asyncpg(connection):
        await_only(driver.copy_records_to_table(target, records=rows, columns=names, schema_name=schema))
        statement_text = f"COPY {target} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)"
    else:
        from psycopg import sql

        ident = sql.Identifier(schema, target) if schema else sql.Identifier(target)
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
            ident, sql.SQL(", ").join(map(sql.Identifier, names))
        )
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            copy.set_types(oids)
            write = copy.write_row
            remaining = iter(rows)
            try:
                for row in remaining:
                    write(row)
            except Exception as error:  # a value the driver cannot encode; its index, at no cost per row
                # tag the driver's own exception (re-raised as is) with the row; `_failed_row` reads it
                error.labkit_row = len(rows) - length_hint(remaining) - 1  # type: ignore[attr-defined]
                raise
        statement_text = statement.as_string(driver)
    observe(connection, statement_text, {"rows": len(rows)}, time.perf_counter() - start)


def _failed_row(error: BaseException) -> int | None:
    row = getattr(error, "labkit_row", None)
    if row is not None:
        return int(row)
    context = getattr(getattr(error, "diag", None), "context", None) or getattr(error, "context", None)
    match = _COPY_LINE.search(str(context or "")) or _COPY_LINE.search(str(error))
    return int(match.group(1)) - 1 if match else None


def _reason(error: BaseException) -> str:
    return " ".join(str(error).split())


def _copy_failure(error: BaseException, plan: BulkPlan, operation: str, batch_size: int) -> BulkWriteError:
    """The error of a failed COPY, naming the row and, for a value the driver could not encode, its column and type.

    asyncpg does not say which row it could not encode, psycopg not which column: on a client-side
    failure (no SQLSTATE) the rows are checked against the column types to find it.
    """
    row = _failed_row(error)
    detail = ""
    if getattr(error, "sqlstate", None) is None and getattr(getattr(error, "orig", None), "sqlstate", None) is None:
        found = first_type_mismatch(plan, row or 0)
        if found is not None and (row is None or found[0] == row):
            row, _, described = found
            detail = described + ": "
    if row is None:
        return BulkWriteError(f"{operation} into {plan.name} failed: {_reason(error)}")
    head = row_failure(operation, plan.name, row, len(plan.rows), batch_size)
    return BulkWriteError(f"{head}: {detail}{_reason(error)}", row=row, batch=row // batch_size)


def copy_insert(connection: Connection, plan: BulkPlan, batch_size: int) -> int:
    """COPY every row of `plan` into its table, then move a serial sequence past the new keys."""
    names = [plan.table.columns[key].name for key in plan.columns]
    oids_by_name = _column_oids(connection, plan)
    oids = [oids_by_name[name] for name in names]
    try:
        _copy(connection, plan.table.name, plan.table.schema, names, oids, plan.rows)
    except Exception as error:
        raise _copy_failure(error, plan, "bulk_insert", batch_size) from error
    _advance_sequences(connection, plan)
    return len(plan.rows)


def _advance_sequences(connection: Connection, plan: BulkPlan) -> None:
    """After explicit integer keys were copied, make the serial sequence continue above them."""
    for column in plan.table.primary_key.columns:
        if column.key not in plan.columns or not isinstance(column.type, Integer):
            continue
        connection.execute(
            text(
                "SELECT setval(s, GREATEST(COALESCE(pg_sequence_last_value(CAST(s AS regclass)), 1), "
                f"(SELECT COALESCE(MAX({_quote(connection, column.name)}), 1) FROM "
                f"{_qualified(plan, connection)}))) FROM pg_get_serial_sequence(:t, :c) AS s "
                "WHERE s IS NOT NULL"
            ),
            {"t": _qualified(plan, connection), "c": column.name},
        )


def _quote(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def staged_merge(
    connection: Connection,
    plan: BulkPlan,
    *,
    operation: str,
    batch_size: int,
    on_conflict: str = "update",
    conflict_columns: list[str] | None = None,
) -> int:
    """COPY rows into a temporary table, then UPDATE … FROM it or INSERT … ON CONFLICT from it."""
    def q(key: str) -> str:
        return _quote(connection, plan.table.columns[key].name)

    target = _qualified(plan, connection)
    stage = f"labkit_stage_{uuid.uuid4().hex[:12]}"
    names = [plan.table.columns[key].name for key in plan.columns]
    column_list = ", ".join(q(key) for key in plan.columns)
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS "
        f"SELECT {column_list} FROM {target} WITH NO DATA"
    )
    oids_by_name = _column_oids(connection, plan)
    try:
        _copy(connection, stage, None, names, [oids_by_name[n] for n in names], plan.rows)
    except Exception as error:
        raise _copy_failure(error, plan, operation, batch_size) from error
    if operation == "bulk_update":
        keys = plan.key_columns
        sets = ", ".join(f"{q(k)} = s.{q(k)}" for k in plan.columns if k not in keys)
        where = " AND ".join(f"t.{q(k)} = s.{q(k)}" for k in keys)
        statement = f"UPDATE {target} AS t SET {sets} FROM {stage} AS s WHERE {where}"
    else:
        conflict = ", ".join(q(k) for k in (conflict_columns or plan.key_columns))
        if on_conflict == "ignore":
            action = "DO NOTHING"
        else:
            assignments = [f"{q(k)} = EXCLUDED.{q(k)}" for k in plan.columns if k not in (conflict_columns or [])]
            action = "DO UPDATE SET " + ", ".join(assignments) if assignments else "DO NOTHING"
        statement = (f"INSERT INTO {target} ({column_list}) SELECT {column_list} FROM {stage} "
                     f"ON CONFLICT ({conflict}) {action}")
    try:
        count = connection.exec_driver_sql(statement).rowcount
    except Exception as error:
        raise BulkWriteError(
            f"{operation} into {plan.name} failed while merging {len(plan.rows)} staged rows "
            f"(one statement, so no single batch): {_reason(getattr(error, 'orig', error))}"
        ) from error
    connection.exec_driver_sql(f"DROP TABLE {stage}")
    if operation != "bulk_update":
        _advance_sequences(connection, plan)
    return int(count)
