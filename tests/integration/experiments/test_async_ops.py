"""06_async against the real PostgreSQL and Redis: every strategy reads the same answers."""

from __future__ import annotations

import psycopg
import pytest

from labkit.lab.bench.results import measurements_frame
from labkit.lab.experiments.async_ops import measure as async_ops
from labkit.settings import Settings


@pytest.fixture
async def ops(pg_url: str, redis_url: str, redis_namespace: str, settings: Settings):
    lab = await async_ops.open_lab(pg_url, redis_url, students=40, max_ops=6, settings=settings,
                                   key_prefix=redis_namespace)
    try:
        yield lab
    finally:
        await lab.close()


@pytest.mark.parametrize("kind", async_ops.KINDS)
async def test_every_strategy_gives_the_same_answers(ops: async_ops.AsyncOpsLab, kind: str) -> None:
    cases = ops.cases(kind, 6)
    assert set(cases) == set(async_ops.STRATEGIES)
    assert await ops.check_answers(cases) == 6


async def test_a_server_side_wait_keeps_the_answers(ops: async_ops.AsyncOpsLab) -> None:
    assert await ops.check_answers(ops.cases("db", 3, latency_ms=1.0)) == 3


async def test_drivers_give_the_same_answers(ops: async_ops.AsyncOpsLab) -> None:
    cases = ops.driver_cases(4)
    assert set(cases) == set(async_ops.DRIVERS)
    assert await ops.check_answers(cases) == 4


async def test_measure_times_each_case_with_its_label(ops: async_ops.AsyncOpsLab) -> None:
    measured = await ops.measure(ops.cases("mix", 4), repeats=3, warmups=1)
    assert {m.label for m in measured.values()} == set(async_ops.STRATEGIES.values())
    frame = measurements_frame(measured, section="kinds", kind="mix")
    table = async_ops.speedups(frame, by=["kind"])
    assert set(table["case"]) == set(async_ops.STRATEGIES) - {"sync_sequential"}
    assert (table["speedup"] > 0).all() and (table["speedup_low"] <= table["speedup_high"]).all()


async def test_a_bad_kind_or_count_is_refused(ops: async_ops.AsyncOpsLab) -> None:
    with pytest.raises(ValueError, match="one of db, cache, mix"):
        ops.cases("disk", 3)
    with pytest.raises(ValueError, match="n_ops"):
        ops.cases("db", 0)


async def test_close_drops_the_schema_and_the_keys(pg_url: str, redis_url: str, redis_namespace: str,
                                                   settings: Settings) -> None:
    lab = await async_ops.open_lab(pg_url, redis_url, students=5, max_ops=2, settings=settings,
                                   key_prefix=redis_namespace)
    await lab.close()
    with psycopg.connect(pg_url) as conn:
        found = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", (async_ops.SCHEMA,)).fetchone()
    assert found == (0,)
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        assert list(client.scan_iter(match=f"{redis_namespace}*")) == []
    finally:
        client.close()
