"""Partition pruning, timed: a one-month range query on activities by month vs the same query on a
plain table holding the same rows, interleaved, with the partitions `EXPLAIN` says each reads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import MetaData, Table, func, select
from sqlalchemy.engine import Engine

from labkit.db import bulk_insert, session_factory, unit_of_work
from labkit.lab.bench import Measurement, run_interleaved
from labkit.lab.demo.partitions import (
    activity_records_over,
    create_partitions,
    partitioned_activities,
    partitions_scanned,
)

__all__ = ["pruning_tables", "range_query", "pruning_times"]

FIRST = date(2025, 1, 1)
MONTHS = 12


@contextmanager
def pruning_tables(engine: Engine, rows: int, *, batch: int = 100_000) -> Iterator[tuple[Table, Table]]:
    """The partitioned table and a plain twin, each holding the same `rows` rows over twelve months;
    dropped after the block."""
    metadata = MetaData()
    partitioned = partitioned_activities(metadata, "scale_out_by_month")
    plain = partitioned_activities(metadata, "scale_out_plain", plain=True)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    try:
        with engine.begin() as conn:
            create_partitions(conn, partitioned.name, FIRST, MONTHS)
        records = activity_records_over(rows, FIRST, MONTHS)
        factory = session_factory(engine)
        for start in range(0, rows, batch):
            chunk = records[start:start + batch]
            with unit_of_work(factory) as session:
                bulk_insert(session, partitioned, chunk)
                bulk_insert(session, plain, chunk)
        with engine.connect() as conn:
            conn.exec_driver_sql(f"ANALYZE {partitioned.name}")
            conn.exec_driver_sql(f"ANALYZE {plain.name}")
            conn.commit()
        yield partitioned, plain
    finally:
        metadata.drop_all(engine)


def range_query(table: Table, month: int = 3) -> Any:
    """Count and average score of one month's activities (a range on created_at)."""
    start = datetime(FIRST.year, month, 1, tzinfo=timezone.utc)
    end = datetime(FIRST.year, month + 1, 1, tzinfo=timezone.utc)
    return (select(func.count(), func.avg(table.c.score)).select_from(table)
            .where(table.c.created_at >= start, table.c.created_at < end))


def pruning_times(engine: Engine, partitioned: Table, plain: Table, *, repeats: int = 20,
                  warmups: int = 3) -> tuple[dict[str, Measurement], dict[str, list[str]]]:
    """The range query on each table, interleaved; and the tables `EXPLAIN` says each one reads."""
    queries = {"partitioned": range_query(partitioned), "plain": range_query(plain)}

    def case(name: str) -> Any:
        def run() -> None:
            with engine.connect() as conn:
                conn.execute(queries[name]).one()
        run.__doc__ = f"one month's range query on the {name} table"
        return run

    with engine.connect() as conn:
        scanned = {name: partitions_scanned(conn, query) for name, query in queries.items()}
    times = run_interleaved({name: case(name) for name in queries}, repeats=repeats, warmups=warmups)
    return times, scanned
