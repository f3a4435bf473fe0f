"""The scale-out experiment's pruning measurement on real PostgreSQL."""

from __future__ import annotations

from labkit.db import make_engine
from labkit.lab.experiments.db_scale_out.partitioning import pruning_tables, pruning_times
from labkit.settings import Settings


def test_the_range_query_reads_one_partition_of_the_partitioned_table_and_all_of_the_plain_one(
    db_pg_url: str,
) -> None:
    engine = make_engine(Settings(), url=db_pg_url)
    try:
        with pruning_tables(engine, 6_000, batch=2_500) as (partitioned, plain):
            times, scanned = pruning_times(engine, partitioned, plain, repeats=3, warmups=1)
    finally:
        engine.dispose()
    assert scanned == {"partitioned": ["scale_out_by_month_p2025_03"], "plain": ["scale_out_plain"]}
    assert len(times["partitioned"].samples) == len(times["plain"].samples) == 3
