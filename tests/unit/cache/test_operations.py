"""The seed's four operations as cases, on the memory backend (Redis: tests/integration)."""

from __future__ import annotations

from labkit.cache import AsyncCache, Cache
from labkit.lab.bench import label_of
from labkit.lab.experiments.cache.operations import OPERATIONS, async_operation_cases, operation_cases
from labkit.lab.experiments.cache.payloads import RECORD, user_record


def test_every_operation_is_a_case_labelled_with_the_batch_size() -> None:
    with Cache.memory() as cache:
        cases = operation_cases(cache, batch=7)
        assert list(cases) == list(OPERATIONS)
        assert label_of(cases["get_many"]) == "batch GET of 7 (get_many)"
        assert label_of(cases["set_loop"]) == "7 × SET, one by one"


def test_gets_hit_what_the_builder_wrote() -> None:
    with Cache.memory() as cache:
        cases = operation_cases(cache, batch=5)
        assert cases["get"]() == RECORD
        found = cases["get_many"]()
        assert len(found) == 5 and found["op:batch:3"] == user_record(3)
        assert cases["get_loop"]() == [user_record(i) for i in range(5)]
        for name in ("set", "set_many", "set_loop"):
            cases[name]()
        assert cache.metrics()["misses"] == 0


async def test_async_cases_do_the_same() -> None:
    cache = AsyncCache.memory()
    cases = await async_operation_cases(cache, batch=4)
    assert await cases["get"]() == RECORD
    assert len(await cases["get_many"]()) == 4
    for name in ("set", "set_many", "set_loop", "get_loop"):
        await cases[name]()
    await cache.close()


def test_a_scratch_cache_in_memory_needs_no_server() -> None:
    from labkit.lab.experiments.cache.namespace import scratch_cache

    with scratch_cache("memory") as cache:
        cache.set("k", 1)
        assert cache.get("k") == 1


def test_a_scratch_cache_names_what_it_lacks() -> None:
    import pytest

    from labkit.errors import CacheArgumentError
    from labkit.lab.experiments.cache.namespace import scratch_cache

    with pytest.raises(CacheArgumentError, match="unknown cache backend 'disk'; choose from redis, memory"):
        with scratch_cache("disk"):
            pass
    with pytest.raises(CacheArgumentError, match="needs the server's URL"):
        with scratch_cache("redis"):
            pass
