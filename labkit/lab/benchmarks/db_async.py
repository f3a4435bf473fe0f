"""Async data-layer ratios: labkit's asyncpg bulk insert against asyncpg's own COPY.

Runs in a schema of its own (`labkit_bench_db_async`, dropped at the end) on the measured
PostgreSQL.
"""

from __future__ import annotations

import asyncio

import asyncpg
import psycopg

from labkit.db import async_session_factory, async_unit_of_work, bulk_insert_async, database_url, make_async_engine
from labkit.lab.bench import BenchRow, ratio, run_interleaved_async
from labkit.lab.benchmarks._tables import EVENT_COLUMNS, EVENTS, METADATA, event_rows
from labkit.settings import Settings

__all__ = ["run"]

SCHEMA = "labkit_bench_db_async"


async def _compare(settings: Settings, rows: int, repeats: int, warmups: int) -> BenchRow:
    raw_url = database_url(settings).set(drivername="postgresql").render_as_string(hide_password=False)
    engine = make_async_engine(settings, connect_args={"timeout": 5, "server_settings": {"search_path": SCHEMA}})
    async with engine.begin() as conn:
        await conn.run_sync(METADATA.create_all, tables=[EVENTS])
    records = event_rows(rows)
    tuples = [tuple(r[c] for c in EVENT_COLUMNS) for r in records]
    factory = async_session_factory(engine)
    raw = await asyncpg.connect(raw_url, server_settings={"search_path": SCHEMA})

    async def raw_copy() -> None:
        """raw asyncpg copy_records_to_table of tuples in a transaction"""
        async with raw.transaction():
            await raw.copy_records_to_table("bench_events", records=tuples, columns=EVENT_COLUMNS)

    async def labkit_insert() -> None:
        """labkit bulk_insert_async of dicts in an async unit of work"""
        async with async_unit_of_work(factory) as session:
            await bulk_insert_async(session, EVENTS, records)

    try:
        ms = await run_interleaved_async({"raw": raw_copy, "labkit": labkit_insert}, repeats=repeats,
                                         warmups=warmups)
    finally:
        await raw.close()
        await engine.dispose()
    return BenchRow("db_async", f"bulk_insert_async {rows // 1000}k rows vs raw asyncpg COPY (postgresql)",
                    ratio(ms["raw"], ms["labkit"]), target_max=1.25)


def run(settings: Settings, *, quick: bool = False) -> list[BenchRow]:
    """The async comparisons; `quick` shrinks rows and repeats to a smoke run."""
    raw_url = database_url(settings).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(raw_url, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        admin.execute(f"CREATE SCHEMA {SCHEMA}")
    try:
        rows, repeats, warmups = (5_000, 2, 1) if quick else (100_000, 15, 2)
        return [asyncio.run(_compare(settings, rows, repeats, warmups))]
    finally:
        with psycopg.connect(raw_url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
