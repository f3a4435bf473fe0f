"""Pooling experiment on the real PostgreSQL: counts from pool events agree with labkit's pool statistics."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labkit.lab.experiments.pooling.measure import (
    PoolConfig,
    PoolingTable,
    exhaustion,
    load_summary,
    measure_phase,
    pool_configs,
    pooling_grid,
    pooling_table,
    pre_ping_cost,
    throughput_ratios,
)
from labkit.settings import Settings


@pytest.fixture(scope="module")
def table(pg_url: str) -> Iterator[PoolingTable]:
    with pooling_table(pg_url, Settings(), rows=50) as t:
        yield t


def test_nullpool_opens_a_connection_for_every_checkout(pg_url: str, table: PoolingTable) -> None:
    config = pool_configs([], Settings(), seed_pool=False)[0]
    phase = measure_phase(config, 2, url=pg_url, settings=Settings(), table=table, seconds=0.1)
    fresh = phase.load.frame()["fresh"]
    assert phase.load.operations > 0 and (fresh == 1.0).all()
    assert phase.pool["connects"] == phase.pool["checkouts"] == phase.load.operations


def test_a_queuepool_without_overflow_opens_at_most_its_size(pg_url: str, table: PoolingTable) -> None:
    config = PoolConfig("queuepool_2", "QueuePool 2", 2, 0, 10.0)
    phase = measure_phase(config, 4, url=pg_url, settings=Settings(), table=table, seconds=0.1, warmup_seconds=0.05)
    frame = phase.load.frame()
    assert phase.pool["connects"] <= 2
    assert int(frame["fresh"].sum()) == phase.pool["connects"]
    assert phase.pool["checkouts"] == phase.load.operations


def test_the_grid_gives_rows_for_every_pool_and_worker_count(pg_url: str, table: PoolingTable) -> None:
    configs = pool_configs([2], Settings(pool_size=3, max_overflow=1))
    frame = pooling_grid(configs, [1, 3], url=pg_url, settings=Settings(), table=table, repeats=1, seconds=0.05,
                         warmup_seconds=0.02, windows=2)
    summary = load_summary(frame)
    assert set(zip(summary["case"], summary["workers"])) == {
        (c.name, w) for c in configs for w in (1, 3)
    }
    assert (summary.loc[summary["case"] == "nullpool", "efficiency"] == 0.0).all()
    assert set(throughput_ratios(frame)["case"]) == {"queuepool_2", "seed_pool"}


def test_exhaustion_times_out_with_labkits_error(pg_url: str, table: PoolingTable) -> None:
    phase, frame = exhaustion(pg_url, Settings(), table, workers=3, pool_size=1, timeout=0.02, hold=0.1,
                              seconds=0.3)
    assert phase.pool["timeouts"] > 0
    assert "PoolExhausted" in phase.load.messages
    assert "Pool size: 1" in phase.load.messages["PoolExhausted"]
    assert (frame.loc[frame["kind"] == "exhaustion", "error"] == "PoolExhausted").sum() == phase.pool["timeouts"]


def test_pre_ping_cost_measures_both_sides(pg_url: str, table: PoolingTable) -> None:
    measured = pre_ping_cost(pg_url, Settings(), table, repeats=3, warmups=1, inner=2)
    assert set(measured) == {"pre_ping_on", "pre_ping_off"}
    assert all(m.samples.size == 3 for m in measured.values())
