"""The demo's activities partitioned by month on real PostgreSQL: rows land in their month, range
queries read only their months, partitions are made ahead, bulk_insert writes through the parent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import MetaData, Table, func, select
from sqlalchemy.engine import Engine

from labkit.db import bulk_insert, make_engine, session_factory, unit_of_work
from labkit.lab.demo.partitions import (
    activity_records_over,
    create_ahead,
    create_partitions,
    partition_names,
    partitioned_activities,
    partitions_scanned,
)
from labkit.settings import Settings

FIRST = date(2025, 1, 1)


@pytest.fixture
def partitioned(db_pg_url: str) -> Iterator[tuple[Engine, Table]]:
    engine = make_engine(Settings(), url=db_pg_url)
    table = partitioned_activities(MetaData(), "test_activities_by_month")
    table.drop(engine, checkfirst=True)
    table.create(engine)
    with engine.begin() as conn:
        create_partitions(conn, table.name, FIRST, 12)
    yield engine, table
    table.drop(engine, checkfirst=True)
    engine.dispose()


def test_bulk_insert_writes_each_row_into_its_month(partitioned: tuple[Engine, Table]) -> None:
    engine, table = partitioned
    records = activity_records_over(12_000, FIRST, 12)
    with unit_of_work(session_factory(engine)) as session:
        assert bulk_insert(session, table, records) == 12_000
    with engine.connect() as conn:
        counts = conn.exec_driver_sql(
            f"SELECT tableoid::regclass::text, count(*) FROM {table.name} GROUP BY 1 ORDER BY 1").all()
    assert len(counts) == 12 and sum(n for _, n in counts) == 12_000
    assert all(name.startswith(f"{table.name}_p2025_") and n > 900 for name, n in counts)


def test_a_range_query_reads_only_the_months_it_names(partitioned: tuple[Engine, Table]) -> None:
    engine, table = partitioned
    march = select(func.count()).select_from(table).where(
        table.c.created_at >= datetime(2025, 3, 1, tzinfo=timezone.utc),
        table.c.created_at < datetime(2025, 4, 1, tzinfo=timezone.utc))
    with engine.connect() as conn:
        assert partitions_scanned(conn, march) == [f"{table.name}_p2025_03"]
        everything = partitions_scanned(conn, select(func.count()).select_from(table))
    assert len(everything) == 13  # twelve months and the default partition


def test_partitions_are_made_ahead_and_a_row_outside_every_month_goes_to_the_default(
    partitioned: tuple[Engine, Table],
) -> None:
    engine, table = partitioned
    with engine.begin() as conn:
        made = create_ahead(conn, table.name, datetime(2025, 12, 15, tzinfo=timezone.utc), ahead=2)
        assert made == [f"{table.name}_p2025_12", f"{table.name}_p2026_01", f"{table.name}_p2026_02"]
        assert f"{table.name}_p2026_02" in partition_names(conn, table.name)
    late = [{"student_id": 1, "kind": "viewed", "score": 0.5, "created_at": datetime(2030, 1, 1, tzinfo=timezone.utc)}]
    with unit_of_work(session_factory(engine)) as session:
        bulk_insert(session, table, late)
    with engine.connect() as conn:
        where = conn.exec_driver_sql(f"SELECT tableoid::regclass::text FROM {table.name}").scalar_one()
    assert where == f"{table.name}_default"
