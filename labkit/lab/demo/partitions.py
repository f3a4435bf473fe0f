"""The demo's activities log partitioned by month (PostgreSQL declarative partitioning).

`activities_by_month` has the columns of `activities`; its key is `(id, created_at)` because a
partitioned table's unique keys must include the partition column. Monthly partitions are created
ahead of the data, as pg_partman's maintenance does with its "premake" count, and a default
partition catches rows outside every month (pg_partman keeps one too). Range queries on
`created_at` then read only the months they name: partition pruning, visible in `EXPLAIN`.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Float, Identity, Integer, MetaData, String, Table
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

__all__ = [
    "PARTITIONED_ACTIVITIES",
    "partitioned_activities",
    "month_starts",
    "create_partitions",
    "create_ahead",
    "partition_names",
    "partitions_scanned",
    "activity_records_over",
]


def partitioned_activities(metadata: MetaData, name: str = "activities_by_month", *, plain: bool = False) -> Table:
    """The activities table partitioned by RANGE (created_at); create its partitions with `create_partitions`.

    `plain=True` gives the same columns and key unpartitioned, to compare against.
    """
    options: dict[str, Any] = {} if plain else {"postgresql_partition_by": "RANGE (created_at)"}
    return Table(
        name, metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("student_id", Integer, nullable=False, index=True),
        Column("kind", String(20), nullable=False),
        Column("score", Float, nullable=False),
        Column("created_at", DateTime(timezone=True), primary_key=True),
        **options,
    )


PARTITIONED_ACTIVITIES = partitioned_activities(MetaData())


def month_starts(first: date, count: int) -> list[date]:
    """The first day of `count` consecutive months from `first`'s month."""
    year, month = first.year, first.month
    out = []
    for _ in range(count):
        out.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _partition_name(table: str, month: date) -> str:
    return f"{table}_p{month.year:04d}_{month.month:02d}"


def create_partitions(connection: Connection, table: str, first: date, months: int, *,
                      default: bool = True) -> list[str]:
    """Create the monthly partitions of `months` months from `first` (those missing), and a default one."""
    starts = month_starts(first, months + 1)
    created = []
    for start, end in zip(starts, starts[1:]):
        name = _partition_name(table, start)
        connection.exec_driver_sql(
            f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF "{table}" '
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')")
        created.append(name)
    if default:
        connection.exec_driver_sql(f'CREATE TABLE IF NOT EXISTS "{table}_default" PARTITION OF "{table}" DEFAULT')
    return created


def create_ahead(connection: Connection, table: str, now: datetime, ahead: int = 3) -> list[str]:
    """pg_partman-style maintenance: the month of `now` and the `ahead` months after it exist."""
    return create_partitions(connection, table, now.date(), ahead + 1, default=False)


def partition_names(connection: Connection, table: str) -> list[str]:
    """The partitions of `table`, by name."""
    rows = connection.exec_driver_sql(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %(table)s::regclass ORDER BY c.relname", {"table": table}).all()
    return [str(row[0]) for row in rows]


def partitions_scanned(connection: Connection, statement: Select[Any]) -> list[str]:
    """The tables `EXPLAIN` says the statement reads: after pruning, only the partitions it needs."""
    compiled = statement.compile(connection, compile_kwargs={"literal_binds": True})
    plan = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}").scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    found: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        if "Relation Name" in node:
            found.append(str(node["Relation Name"]))
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return sorted(set(found))


def activity_records_over(rows: int, first: date, months: int, *, seed: int = 0) -> list[dict[str, Any]]:
    """`rows` deterministic activity records spread evenly over `months` months from `first` (no key)."""
    start = datetime(first.year, first.month, 1, tzinfo=timezone.utc)
    end_day = month_starts(first, months + 1)[-1]
    span = (datetime(end_day.year, end_day.month, 1, tzinfo=timezone.utc) - start).total_seconds()
    step = span / max(rows, 1)
    kinds = ("viewed", "submitted", "graded", "completed")
    return [{"student_id": (i * 7 + seed) % 1000 + 1, "kind": kinds[i % 4],
             "score": round((i * 0.618 + seed) % 1.0, 3), "created_at": start + timedelta(seconds=i * step)}
            for i in range(rows)]
