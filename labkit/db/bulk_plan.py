"""Checking bulk records against a table and turning them into tuples, before any write."""

from __future__ import annotations

import datetime
import decimal
import operator
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, inspect
from sqlalchemy.sql.schema import ColumnDefault

from labkit.errors import BulkInputError, UnknownFieldError

__all__ = ["BulkPlan", "plan_rows", "table_of", "row_failure", "first_type_mismatch"]


@dataclass(frozen=True)
class BulkPlan:
    """A validated bulk call: the table, its column names in order, and one tuple per record."""

    table: Table
    columns: list[str]
    rows: list[tuple[Any, ...]]
    key_columns: list[str]

    @property
    def name(self) -> str:
        return self.table.name


def table_of(model: type[Any] | Table) -> Table:
    """The Table behind a mapped class (or the Table itself)."""
    if isinstance(model, Table):
        return model
    table = getattr(inspect(model, raiseerr=False), "local_table", None)
    if not isinstance(table, Table):
        raise BulkInputError(f"{model!r} is neither a mapped class nor a Table")
    return table


def plan_rows(
    model: type[Any] | Table,
    records: Iterable[Mapping[str, Any]],
    *,
    operation: str,
    require_keys: Sequence[str] = (),
) -> BulkPlan:
    """Check that every record has the same known keys (and `require_keys`), then build tuples."""
    table = table_of(model)
    records = records if isinstance(records, list) else list(records)
    valid = [c.key for c in table.columns]
    if not records:
        return BulkPlan(table, [], [], list(require_keys))
    first = records[0]
    if not isinstance(first, Mapping):
        raise BulkInputError(f"{operation} into {table.name}: records[0] is {type(first).__name__}, expected a mapping")
    columns = list(first.keys())
    for key in columns:
        if key not in table.columns:
            raise UnknownFieldError(table.name, "column", str(key), valid)
    missing = [key for key in require_keys if key not in first]
    if missing:
        raise BulkInputError(
            f"{operation} into {table.name}: records[0] lacks primary key {', '.join(missing)}; "
            f"every record must carry {', '.join(require_keys)}"
        )
    getter = operator.itemgetter(*columns)
    width = len(columns)
    try:
        rows = list(map(getter, records)) if width > 1 else [(getter(r),) for r in records]
    except (KeyError, TypeError):
        rows = []
    if not rows or set(map(len, records)) != {width}:
        _raise_first_mismatch(records, columns, table.name, operation)
    if require_keys:
        key_getter = operator.itemgetter(*[columns.index(k) for k in require_keys])
        for index, row in enumerate(rows):
            values = key_getter(row)
            if values is None or (isinstance(values, tuple) and None in values):
                raise BulkInputError(
                    f"{operation} into {table.name}: records[{index}] has a NULL primary key "
                    f"({', '.join(require_keys)})"
                )
    columns, rows = _add_scalar_defaults(table, columns, rows)
    return BulkPlan(table, columns, rows, list(require_keys))


def _raise_first_mismatch(
    records: list[Mapping[str, Any]], columns: list[str], table: str, operation: str
) -> None:
    expected = set(columns)
    for index, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise BulkInputError(f"{operation} into {table}: records[{index}] is not a mapping")
        keys = set(record.keys())
        if keys != expected:
            extra, lacking = sorted(map(str, keys - expected)), sorted(map(str, expected - keys))
            raise BulkInputError(
                f"{operation} into {table}: records[{index}] has other keys than records[0]"
                f" (extra: {extra or 'none'}; missing: {lacking or 'none'})"
            )
    raise BulkInputError(f"{operation} into {table}: records do not share one set of keys")


def _add_scalar_defaults(
    table: Table, columns: list[str], rows: list[tuple[Any, ...]]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Append Python-side constant defaults (COPY and raw executemany would skip them)."""
    extra_names, extra_values = [], []
    for column in table.columns:
        default = column.default
        if column.key in columns or not isinstance(default, ColumnDefault) or not default.is_scalar:
            continue
        extra_names.append(column.key)
        extra_values.append(default.arg)
    if not extra_names:
        return columns, rows
    tail = tuple(extra_values)
    return columns + extra_names, [row + tail for row in rows]


def row_failure(operation: str, table: str, index: int, total: int, batch_size: int) -> str:
    """'bulk_insert into t failed at records[i] (batch b of n)' — the common error prefix."""
    batches = max(1, -(-total // batch_size))
    return (
        f"{operation} into {table} failed at records[{index}] "
        f"(batch {index // batch_size + 1} of {batches}, batch_size {batch_size}); "
        "nothing of this call was written"
    )


# What a driver takes for a column whose SQLAlchemy type maps to the key (numbers widen; bool is an int).
_ACCEPTED: dict[type, tuple[type, ...]] = {
    float: (int, float, decimal.Decimal),
    decimal.Decimal: (int, float, decimal.Decimal),
    datetime.date: (datetime.date,),
    uuid.UUID: (uuid.UUID, str),
}


def _accepted(column: Any) -> tuple[type, ...] | None:
    try:
        python_type: type = column.type.python_type
    except NotImplementedError:
        return None
    return _ACCEPTED.get(python_type, (python_type,))


def first_type_mismatch(plan: BulkPlan, start: int = 0) -> tuple[int, str, str] | None:
    """(row, column, description) of the first value, from row `start`, whose Python type its column cannot take.

    Run only after a driver refused to encode a row, to name the row, the column and the value's type.
    """
    checks = []
    for position, key in enumerate(plan.columns):
        column = plan.table.columns[key]
        accepted = _accepted(column)
        if accepted is not None:
            checks.append((position, key, column, accepted))
    for index in range(max(0, start), len(plan.rows)):
        row = plan.rows[index]
        for position, key, column, accepted in checks:
            value = row[position]
            if value is not None and not isinstance(value, accepted):
                names = " or ".join(t.__name__ for t in accepted)
                shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
                return index, key, (f"column {key!r} ({column.type}) got {type(value).__name__} {shown}, "
                                    f"expected {names}")
    return None
