"""Bulk writes into the demo's activities partitioned by month, as same-run ratios: labkit's
`bulk_insert` against raw binary COPY into the same partitioned table, and against `bulk_insert`
into a plain table of the same columns.

Everything runs in a schema of its own (`labkit_bench_partitions`, dropped at the end) on the
measured PostgreSQL; rows spread over twelve monthly partitions.
"""

from __future__ import annotations

from datetime import date

import psycopg
from sqlalchemy import MetaData

from labkit.db import bulk_insert, session_factory, unit_of_work
from labkit.lab.bench import BenchRow, ratio, run_interleaved
from labkit.lab.benchmarks.db import _pg_schema, _pg_url
from labkit.lab.demo.partitions import activity_records_over, create_partitions, partitioned_activities
from labkit.settings import Settings

__all__ = ["run"]

SUITE = "db_partitions"
SCHEMA = "labkit_bench_partitions"
FIRST = date(2025, 1, 1)
_COLUMNS = ("student_id", "kind", "score", "created_at")
_OIDS = [23, 1043, 701, 1184]  # int4, varchar, float8, timestamptz


def run(settings: Settings, *, quick: bool = False) -> list[BenchRow]:
    """bulk_insert into the partitioned table vs raw COPY into it and vs a plain table."""
    rows, reps = (5_000, (2, 1)) if quick else (100_000, (12, 2))
    with _pg_schema(settings, SCHEMA) as (engine, options):
        conn = psycopg.connect(_pg_url(settings), options=options)
        try:
            metadata = MetaData()
            table = partitioned_activities(metadata)
            plain = partitioned_activities(metadata, "activities_plain", plain=True)
            metadata.create_all(engine)
            with engine.begin() as connection:
                create_partitions(connection, table.name, FIRST, 12)
            records = activity_records_over(rows, FIRST, 12)
            tuples = [tuple(r[c] for c in _COLUMNS) for r in records]
            factory = session_factory(engine)

            def raw_copy() -> None:
                """raw psycopg binary COPY of tuples into the partitioned table"""
                with conn.cursor() as cur, cur.copy(
                    f"COPY {table.name} ({', '.join(_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    copy.set_types(_OIDS)
                    for row in tuples:
                        copy.write_row(row)
                conn.commit()

            def labkit_partitioned() -> None:
                """labkit bulk_insert of dicts into the partitioned table"""
                with unit_of_work(factory) as session:
                    bulk_insert(session, table, records)

            def labkit_plain() -> None:
                """labkit bulk_insert of dicts into a plain table of the same columns"""
                with unit_of_work(factory) as session:
                    bulk_insert(session, plain, records)

            ms = run_interleaved({"raw": raw_copy, "partitioned": labkit_partitioned, "plain": labkit_plain},
                                 repeats=reps[0], warmups=reps[1])
        finally:
            conn.close()
    label = f"bulk_insert {rows // 1000}k rows into activities by month (12 partitions)"
    return [
        BenchRow(SUITE, f"{label} vs raw binary COPY into it", ratio(ms["raw"], ms["partitioned"]), target_max=1.25),
        BenchRow(SUITE, f"{label} vs bulk_insert into a plain table", ratio(ms["plain"], ms["partitioned"])),
    ]
