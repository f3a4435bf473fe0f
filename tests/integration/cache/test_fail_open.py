"""Fail-open: a dead Redis never breaks a `@cached` caller, and the breaker stops the calls."""

from __future__ import annotations

import pytest

from labkit.cache import AsyncCache, Cache, CircuitBreaker, RedisBackend, cached
from labkit.errors import CacheUnavailable
from labkit.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sync", "async"])
def dead(request, closed_port):
    """A cache of each mode on a closed loopback port, its breaker on a fake clock."""
    clock = Clock()
    cls = AsyncCache if request.param == "async" else Cache
    url = f"redis://labkit:s3cret-pw@127.0.0.1:{closed_port}/0"
    cache = cls.from_url(url, breaker=CircuitBreaker(threshold=3, recovery_s=5, clock=clock))
    return cache, clock, request.param



def memoized(cache, mode, calls):
    if mode == "async":

        async def f(x):
            calls.append(x)
            return x * 10

    else:

        def f(x):
            calls.append(x)
            return x * 10

    return cached(prefix="f", ttl=60, cache=cache)(f)


async def test_cached_calls_the_function_when_redis_is_down_and_counts_the_error(dead):
    cache, _, mode = dead
    calls = []
    f = memoized(cache, mode, calls)
    result = await f(4) if mode == "async" else f(4)
    assert result == 40
    assert calls == [4]
    m = cache.metrics()
    assert m["errors"] == 1  # the lookup failed, so no write was attempted
    assert (m["hits"], m["sets"]) == (0, 0)


async def test_after_repeated_failures_the_breaker_stops_calling_redis(dead):
    cache, clock, mode = dead
    calls = []
    f = memoized(cache, mode, calls)
    for i in range(5):
        assert (await f(i) if mode == "async" else f(i)) == i * 10
    m = cache.metrics()
    assert m["errors"] == 3
    assert m["bypassed"] == 2
    assert m["breaker"] == "open"
    clock.now += 5
    assert cache.metrics()["breaker"] == "half-open"
    assert (await f(9) if mode == "async" else f(9)) == 90
    assert cache.metrics()["errors"] == 4  # one trial call, which failed: open again
    assert cache.metrics()["breaker"] == "open"
    assert len(calls) == 6


async def test_every_lookup_that_did_not_reach_redis_counts_as_bypassed(dead):
    cache, _, mode = dead
    f = memoized(cache, mode, [])
    for i in range(5):
        await f(i) if mode == "async" else f(i)
    m = cache.metrics()
    assert m["lookups_bypassed"] == 5 and m["hits"] == m["misses"] == 0  # 3 failed, 2 blocked by the breaker
    assert (m["breaker_opens"], m["breaker_closes"]) == (1, 0)


async def test_a_direct_call_raises_cache_unavailable_naming_the_server_not_the_password(dead):
    cache, _, mode = dead
    with pytest.raises(CacheUnavailable) as info:
        await cache.get("k") if mode == "async" else cache.get("k")
    message = str(info.value)
    assert "127.0.0.1" in message and "get" in message
    assert "s3cret-pw" not in message and "***" in message


async def test_an_open_breaker_makes_direct_calls_fail_at_once(dead):
    cache, _, mode = dead
    for _ in range(3):
        with pytest.raises(CacheUnavailable):
            await cache.set("k", 1) if mode == "async" else cache.set("k", 1)
    with pytest.raises(CacheUnavailable, match="circuit open after 3 failures"):
        await cache.get("k") if mode == "async" else cache.get("k")
    assert cache.metrics()["errors"] == 3


def test_the_redis_backend_has_no_retries_and_the_settings_timeouts(redis_url):
    settings = Settings(redis_url=redis_url, redis_socket_timeout=0.25,
                        redis_connect_timeout=0.125, redis_max_connections=7)
    backend = RedisBackend.from_settings(settings)
    kwargs = backend._pool.connection_kwargs
    assert kwargs["retry"].get_retries() == 0
    assert kwargs["socket_timeout"] == 0.25
    assert kwargs["socket_connect_timeout"] == 0.125
    assert backend.max_connections == 7


def test_a_cache_from_settings_uses_its_prefix_ttl_and_url(settings, raw_redis, redis_namespace):
    cache = Cache.from_settings(settings.with_overrides(cache_key_prefix=redis_namespace,
                                                        cache_default_ttl=123))
    cache.set("k", {"a": 1})
    assert raw_redis.exists(f"{redis_namespace}:k")
    assert 118 < cache.ttl("k") <= 123
    cache.close()


def test_a_url_with_another_scheme_is_refused_with_the_password_masked():
    with pytest.raises(ValueError, match=r"http://u:\*\*\*@h") as info:
        Cache.from_url("http://u:pw-secret@h:1/0")
    assert "pw-secret" not in str(info.value)
