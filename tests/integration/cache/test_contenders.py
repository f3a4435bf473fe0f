"""The cases shared by `make bench` and the cache notebook, against the system Redis."""

from __future__ import annotations

import redis

from labkit.cache import Cache
from labkit.lab.experiments.cache.contenders import (
    RAW_GET,
    async_batch_cases,
    async_hit_cases,
    sync_batch_cases,
    sync_hit_cases,
)
from labkit.lab.experiments.cache.namespace import scratch_namespace
from labkit.lab.experiments.cache.operations import operation_cases
from labkit.lab.experiments.cache.payloads import RECORD, user_record


def test_every_sync_hit_reads_the_same_record(redis_url: str, redis_namespace: str) -> None:
    with sync_hit_cases(redis_url, redis_namespace) as cases:
        assert list(cases) == [RAW_GET, "labkit", "dogpile"]
        for fn in cases.values():
            assert fn() == RECORD


async def test_every_async_hit_reads_the_same_record(redis_url: str, redis_namespace: str) -> None:
    async with async_hit_cases(redis_url, redis_namespace) as cases:
        assert list(cases) == [RAW_GET, "labkit", "aiocache", "cashews"]
        for fn in cases.values():
            assert await fn() == RECORD


def test_batch_cases_read_and_write_the_batch(redis_url: str, redis_namespace: str) -> None:
    with sync_batch_cases(redis_url, redis_namespace, batch=10) as cases:
        assert cases["mget"]() == [user_record(i) for i in range(10)]
        assert len(cases["get_many"]()) == 10
        cases["pipeline"]()
        cases["set_many"]()
        assert cases["get_many"].__doc__ == "labkit get_many(10)"


async def test_async_batch_cases_read_and_write_the_batch(redis_url: str, redis_namespace: str) -> None:
    async with async_batch_cases(redis_url, redis_namespace, batch=10) as cases:
        assert len(await cases["mget"]()) == 10 and len(await cases["get_many"]()) == 10
        await cases["pipeline"]()
        await cases["set_many"]()


def test_operations_on_redis_hit_what_they_wrote(redis_url: str, redis_namespace: str) -> None:
    with Cache.from_url(redis_url, key_prefix=redis_namespace) as cache:
        cases = operation_cases(cache, batch=20)
        assert cases["get"]() == RECORD and len(cases["get_many"]()) == 20
        for name in ("set", "set_many", "set_loop", "get_loop"):
            cases[name]()


def test_a_scratch_namespace_leaves_no_key_behind(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    with scratch_namespace(redis_url, stem="labkit-test-scratch") as ns:
        client.set(f"{ns}:a", b"1")
        client.set(f"{ns}-dogpile:b", b"2")
    assert not list(client.scan_iter(match=f"{ns}*"))
    client.close()
