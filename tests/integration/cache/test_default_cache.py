"""The cache `@cached` uses when given none: built from the environment on first call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labkit.cache import AsyncCache, Cache, cached, default_cache, set_default_cache
from labkit.errors import CacheArgumentError


@pytest.fixture
def clean_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)  # no .env file
    set_default_cache(None)
    yield
    for kind in ("sync", "async"):
        try:
            cache = default_cache(kind)
        except CacheArgumentError:
            continue
        if isinstance(cache, Cache):
            cache.close()
    set_default_cache(None)


def test_without_redis_url_the_first_call_names_what_to_set(clean_defaults, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)

    @cached(prefix="x", ttl=5)
    def f(x: int) -> int:
        return x

    with pytest.raises(CacheArgumentError, match="REDIS_URL is not set"):
        f(1)


def test_the_default_cache_comes_from_the_environment(
    clean_defaults, monkeypatch, redis_url, redis_namespace, raw_redis
):
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("CACHE_KEY_PREFIX", redis_namespace)
    monkeypatch.setenv("CACHE_DEFAULT_TTL", "45")

    @cached(prefix="env")
    def f(x: int) -> int:
        return x + 1

    assert f(1) == 2
    assert raw_redis.exists(f"{redis_namespace}:env:1")
    assert 40 < raw_redis.ttl(f"{redis_namespace}:env:1") <= 45
    assert isinstance(default_cache("sync"), Cache)


async def test_async_functions_get_an_async_default(
    clean_defaults, monkeypatch, redis_url, redis_namespace
):
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("CACHE_KEY_PREFIX", redis_namespace)

    @cached(prefix="aenv", ttl=30)
    async def f(x: int) -> int:
        return x * 2

    assert await f(4) == 8
    cache = default_cache("async")
    assert isinstance(cache, AsyncCache)
    assert await cache.get("aenv:4") == 8
    await cache.close()
