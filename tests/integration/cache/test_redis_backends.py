"""The Redis backends themselves: hiredis, one round trip per batch, a bounded pool, timeouts."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from labkit.cache import AsyncCache, AsyncRedisBackend, Cache, CircuitBreaker, RedisBackend, cached
from labkit.errors import CacheUnavailable


def count_round_trips(backend: Any) -> list[int]:
    """Wrap the backend's one send-and-read method to count its calls (the real call still runs)."""
    counter = [0]
    inner = backend._call

    if asyncio.iscoroutinefunction(inner):

        async def counted(*args: Any, **kwargs: Any) -> Any:
            counter[0] += 1
            return await inner(*args, **kwargs)

    else:

        def counted(*args: Any, **kwargs: Any) -> Any:
            counter[0] += 1
            return inner(*args, **kwargs)

    backend._call = counted
    return counter


@pytest.fixture
def hung_port() -> Iterator[int]:
    """A loopback port that accepts connections (kernel backlog) but never answers."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    yield s.getsockname()[1]
    s.close()


def test_connections_use_the_hiredis_parser(redis_url):
    for cls in (RedisBackend, AsyncRedisBackend):
        backend = cls(redis_url)
        conn = backend._pool.connection_class(**backend._pool.connection_kwargs)
        assert "Hiredis" in type(conn._parser).__name__


def test_get_many_and_set_many_are_one_round_trip_each(redis_url, redis_namespace):
    cache = Cache.from_url(redis_url, key_prefix=redis_namespace)
    trips = count_round_trips(cache.backend)
    cache.set_many({f"k{i}": i for i in range(100)}, ttl=30)
    assert trips[0] == 1
    assert len(cache.get_many([f"k{i}" for i in range(100)])) == 100
    assert trips[0] == 2
    cache.close()


async def test_async_get_many_and_set_many_are_one_round_trip_each(redis_url, redis_namespace):
    cache = AsyncCache.from_url(redis_url, key_prefix=redis_namespace)
    trips = count_round_trips(cache.backend)
    await cache.set_many({f"k{i}": i for i in range(100)}, ttl=30)
    assert len(await cache.get_many([f"k{i}" for i in range(100)])) == 100
    assert trips[0] == 2
    await cache.close()


def test_threads_share_a_bounded_pool_and_wait_for_a_free_connection(redis_url, redis_namespace):
    cache = Cache.from_url(redis_url, key_prefix=redis_namespace, max_connections=2)
    cache.set("k", "v")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(50):
                assert cache.get("k") == "v"
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert cache.backend._pool.created <= 2
    cache.close()


async def test_tasks_share_a_bounded_pool_and_wait_for_a_free_connection(redis_url, redis_namespace):
    cache = AsyncCache.from_url(redis_url, key_prefix=redis_namespace, max_connections=2)
    await cache.set("k", "v")
    results = await asyncio.gather(*(cache.get("k") for _ in range(200)))
    assert results == ["v"] * 200
    assert cache.backend._pool.created <= 2
    await cache.close()


def test_an_async_cache_closed_in_one_event_loop_works_in_the_next(redis_url, redis_namespace):
    cache = AsyncCache.from_url(redis_url, key_prefix=redis_namespace)

    async def use(value: int) -> Any:
        await cache.set("k", value)
        got = await cache.get("k")
        await cache.close()
        return got

    assert asyncio.run(use(1)) == 1
    assert asyncio.run(use(2)) == 2


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_server_that_never_answers_times_out_and_cached_still_answers(hung_port, mode):
    url = f"redis://127.0.0.1:{hung_port}/0"
    cls = AsyncCache if mode == "async" else Cache
    cache = cls.from_url(url, socket_timeout=0.05, connect_timeout=0.05)

    def compute(x: int) -> int:
        return x + 1

    if mode == "async":

        async def acompute(x: int) -> int:
            return compute(x)

        f = cached(prefix="h", ttl=5, cache=cache)(acompute)
        assert await f(1) == 2
        await cache.close()
    else:
        f = cached(prefix="h", ttl=5, cache=cache)(compute)
        assert f(1) == 2
    assert cache.metrics()["errors"] == 1  # one timed-out lookup, then no write is attempted


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_successful_trial_closes_the_breaker_and_caching_resumes(
    redis_url, redis_namespace, mode, aw
):
    now = [0.0]
    breaker = CircuitBreaker(threshold=1, recovery_s=5, clock=lambda: now[0])
    cls = AsyncCache if mode == "async" else Cache
    cache = cls.from_url(redis_url, key_prefix=redis_namespace, breaker=breaker)
    calls: list[int] = []

    def compute(x: int) -> int:
        calls.append(x)
        return x

    async def acompute(x: int) -> int:
        return compute(x)

    f = cached(prefix="b", ttl=30, cache=cache)(acompute if mode == "async" else compute)
    breaker.failure()  # as if Redis had just failed
    await aw(f(1))
    await aw(f(1))
    assert calls == [1, 1] and cache.metrics()["bypassed"] >= 2
    now[0] += 5
    await aw(f(1))  # the trial: a miss that is written
    await aw(f(1))  # a hit
    assert calls == [1, 1, 1]
    assert cache.metrics()["breaker"] == "closed"
    await aw(cache.close())


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_key_of_another_redis_type_is_a_counted_miss_and_is_deleted(
    redis_url, redis_namespace, raw_redis, mode, aw
):
    cls = AsyncCache if mode == "async" else Cache
    cache = cls.from_url(redis_url, key_prefix=redis_namespace)
    raw_redis.rpush(f"{redis_namespace}:direct", "a list, not a value")
    assert await aw(cache.get("direct", default="MISS")) == "MISS"
    assert not raw_redis.exists(f"{redis_namespace}:direct")

    def compute(x: int) -> int:
        return x * 3

    async def acompute(x: int) -> int:
        return compute(x)

    f = cached(prefix="t", ttl=30, cache=cache)(acompute if mode == "async" else compute)
    raw_redis.sadd(cache.full_key(f.key_for(2)), "a set")
    assert await aw(f(2)) == 6
    assert await aw(f(2)) == 6
    m = cache.metrics()
    assert m["decode_errors"] == 2 and m["hits"] == 1 and m["breaker"] == "closed"
    await aw(cache.close())


def test_an_error_answered_by_the_server_does_not_open_the_breaker(
    redis_url, redis_namespace, raw_redis
):
    cache = Cache.from_url(redis_url, key_prefix=redis_namespace,
                           breaker=CircuitBreaker(threshold=1))
    raw_redis.set(f"{redis_namespace}:__tag__:t", "a string where a tag set belongs")
    with pytest.raises(CacheUnavailable, match="WRONGTYPE"):
        cache.set("k", 1, tags=["t"])
    assert cache.metrics()["errors"] == 1
    assert cache.metrics()["breaker"] == "closed"
    cache.set("k", 2)
    assert cache.get("k") == 2
    cache.close()
