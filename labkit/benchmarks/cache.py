"""Cache speed: labkit's cache against raw redis-py and other caching libraries, same run.

Each row is B's median time over A's from one interleaved run (A B C, B C A, ...). Hits read
one msgpack'd user record; batches are 100 of them. cashews, aiocache and dogpile.cache are
measured the same way, informationally. The fail-open rows compare a time with its budget.
"""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import msgpack
import numpy as np
import redis
import redis.asyncio

from labkit.bench import BenchRow, Measurement, Ratio, ratio, run_interleaved, run_interleaved_async
from labkit.bench.stats import ratio_of_medians
from labkit.cache import AsyncCache, Cache, CircuitBreaker, cached
from labkit.settings import Settings

__all__ = ["run", "RECORD"]

SUITE = "cache"
RECORD = {
    "id": 42, "name": "Ada Lovelace", "email": "ada@example.org", "active": True,
    "score": 97.5, "roles": ["student", "mentor"], "courses": [101, 202, 303],
}
RAW_GET = "raw redis-py GET + msgpack decode"
BATCH = 100


def _params(quick: bool, hits: bool = True) -> dict[str, Any]:
    if quick:
        return {"repeats": 15, "warmups": 3, "inner": 5 if hits else 1}
    return {"repeats": 200, "warmups": 20, "inner": 40 if hits else 4}


def _row(name: str, ms: dict[str, Measurement], a: str, b: str, target: float | None) -> BenchRow:
    return BenchRow(SUITE, name, ratio(ms[a], ms[b]), target)


def _budget_row(name: str, samples: list[float], budget_s: float) -> BenchRow:
    """Measured time over a fixed budget: <= 1.0 means within budget."""
    r: Ratio = ratio_of_medians(np.full(len(samples), budget_s), np.asarray(samples))
    return BenchRow(SUITE, name, r, 1.0)


def _closed_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@contextmanager
def _namespace(url: str) -> Iterator[str]:
    """A unique key prefix for this run; every key under it is deleted afterwards."""
    prefix = f"labkit-bench-{uuid.uuid4().hex[:10]}"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for i in range(0, len(keys), 500):
            client.delete(*keys[i:i + 500])
        client.close()


# -- sync ---------------------------------------------------------------------------------


def _sync_rows(url: str, ns: str, quick: bool) -> list[BenchRow]:
    from dogpile.cache import make_region

    raw = redis.Redis.from_url(url, max_connections=50)
    cache = Cache.from_url(url, key_prefix=ns)

    @cached(prefix="user", ttl=300, cache=cache)
    def get_user(user_id: int) -> dict[str, Any]:
        return dict(RECORD, id=user_id)

    region = make_region(serializer=msgpack.packb, deserializer=msgpack.unpackb).configure(
        "dogpile.cache.redis", expiration_time=300,
        arguments={"url": url, "redis_expiration_time": 300, "distributed_lock": False},
    )

    @region.cache_on_arguments(namespace=f"{ns}-dogpile")
    def dogpile_user(user_id: int) -> dict[str, Any]:
        return dict(RECORD, id=user_id)

    get_user(42)
    dogpile_user(42)
    key = cache.full_key(get_user.key_for(42))

    def raw_get() -> Any:
        """raw redis-py GET + msgpack decode"""
        return msgpack.unpackb(raw.get(key))

    def labkit_hit() -> Any:
        """labkit @cached hit"""
        return get_user(42)

    def dogpile_hit() -> Any:
        """dogpile.cache hit"""
        return dogpile_user(42)

    ms = run_interleaved({RAW_GET: raw_get, "labkit": labkit_hit, "dogpile": dogpile_hit},
                         **_params(quick))
    rows = [
        _row("@cached hit vs raw GET+decode (sync)", ms, RAW_GET, "labkit", 1.10),
        _row("dogpile.cache hit vs raw GET+decode (sync)", ms, RAW_GET, "dogpile", None),
    ]

    names = [f"batch:{i}" for i in range(BATCH)]
    full = [cache.full_key(n) for n in names]
    cache.set_many({n: dict(RECORD, id=i) for i, n in enumerate(names)}, ttl=300)
    records = {f"{ns}:w:{i}": dict(RECORD, id=i) for i in range(BATCH)}
    mapping = {f"w:{i}": dict(RECORD, id=i) for i in range(BATCH)}

    def raw_mget() -> Any:
        """raw redis-py MGET + msgpack decode"""
        return [msgpack.unpackb(v) for v in raw.mget(full)]

    def labkit_get_many() -> Any:
        """labkit get_many(100)"""
        return cache.get_many(names)

    def raw_pipeline() -> Any:
        """redis-py pipeline of 100 SET ... EX"""
        pipe = raw.pipeline(transaction=False)
        for k, v in records.items():
            pipe.set(k, msgpack.packb(v), ex=300)
        return pipe.execute()

    def labkit_set_many() -> None:
        """labkit set_many(100) with TTL"""
        cache.set_many(mapping, ttl=300)

    ms = run_interleaved({"mget": raw_mget, "get_many": labkit_get_many, "pipeline": raw_pipeline,
                          "set_many": labkit_set_many}, **_params(quick, hits=False))
    rows += [
        _row("get_many(100) vs raw MGET+decode (sync)", ms, "mget", "get_many", 1.10),
        _row("set_many(100) with TTL vs redis-py pipeline of SET EX (sync)", ms, "pipeline",
             "set_many", 0.5),
    ]
    raw.close()
    cache.close()
    return rows


# -- asyncio ------------------------------------------------------------------------------


async def _async_rows(url: str, ns: str, quick: bool) -> list[BenchRow]:
    from aiocache import Cache as AioCache
    from aiocache import cached as aio_cached
    from aiocache.serializers import BaseSerializer
    from cashews import Cache as CashewsCache

    raw = redis.asyncio.Redis.from_url(url, max_connections=50)
    cache = AsyncCache.from_url(url, key_prefix=ns)

    @cached(prefix="user", ttl=300, cache=cache)
    async def get_user(user_id: int) -> dict[str, Any]:
        return dict(RECORD, id=user_id)

    class MsgPack(BaseSerializer):  # aiocache's own msgpack serializer decodes bytes as text
        DEFAULT_ENCODING = None

        def dumps(self, value: Any) -> bytes:
            return msgpack.packb(value)

        def loads(self, value: bytes | None) -> Any:
            return None if value is None else msgpack.unpackb(value)

    parts = urlsplit(url)
    aio_options = {"endpoint": parts.hostname or "127.0.0.1", "port": parts.port or 6379,
                   "db": int((parts.path or "/0").strip("/") or 0), "password": parts.password}

    @aio_cached(ttl=300, cache=AioCache.REDIS, serializer=MsgPack(),
                namespace=f"{ns}-aiocache", **aio_options)
    async def aiocache_user(user_id: int) -> dict[str, Any]:
        return dict(RECORD, id=user_id)

    cashews = CashewsCache()
    cashews.setup(url)

    @cashews(ttl=300, prefix=f"{ns}-cashews")
    async def cashews_user(user_id: int) -> dict[str, Any]:
        return dict(RECORD, id=user_id)

    for fn in (get_user, aiocache_user, cashews_user):
        await fn(42)
    key = cache.full_key(get_user.key_for(42))

    async def raw_get() -> Any:
        """raw redis-py asyncio GET + msgpack decode"""
        return msgpack.unpackb(await raw.get(key))

    async def labkit_hit() -> Any:
        """labkit @cached hit (asyncio)"""
        return await get_user(42)

    async def aiocache_hit() -> Any:
        """aiocache @cached hit"""
        return await aiocache_user(42)

    async def cashews_hit() -> Any:
        """cashews @cache hit"""
        return await cashews_user(42)

    ms = await run_interleaved_async(
        {RAW_GET: raw_get, "labkit": labkit_hit, "aiocache": aiocache_hit, "cashews": cashews_hit},
        **_params(quick),
    )
    rows = [
        _row("@cached hit vs raw GET+decode (asyncio)", ms, RAW_GET, "labkit", 1.10),
        _row("aiocache hit vs raw GET+decode (asyncio)", ms, RAW_GET, "aiocache", None),
        _row("cashews hit vs raw GET+decode (asyncio)", ms, RAW_GET, "cashews", None),
    ]

    names = [f"abatch:{i}" for i in range(BATCH)]
    full = [cache.full_key(n) for n in names]
    await cache.set_many({n: dict(RECORD, id=i) for i, n in enumerate(names)}, ttl=300)
    records = {f"{ns}:aw:{i}": dict(RECORD, id=i) for i in range(BATCH)}
    mapping = {f"aw:{i}": dict(RECORD, id=i) for i in range(BATCH)}

    async def raw_mget() -> Any:
        """raw redis-py asyncio MGET + msgpack decode"""
        return [msgpack.unpackb(v) for v in await raw.mget(full)]

    async def labkit_get_many() -> Any:
        """labkit get_many(100) (asyncio)"""
        return await cache.get_many(names)

    async def raw_pipeline() -> Any:
        """redis-py asyncio pipeline of 100 SET ... EX"""
        pipe = raw.pipeline(transaction=False)
        for k, v in records.items():
            pipe.set(k, msgpack.packb(v), ex=300)
        return await pipe.execute()

    async def labkit_set_many() -> None:
        """labkit set_many(100) with TTL (asyncio)"""
        await cache.set_many(mapping, ttl=300)

    ms = await run_interleaved_async(
        {"mget": raw_mget, "get_many": labkit_get_many, "pipeline": raw_pipeline,
         "set_many": labkit_set_many}, **_params(quick, hits=False),
    )
    rows += [
        _row("get_many(100) vs raw MGET+decode (asyncio)", ms, "mget", "get_many", 1.10),
        _row("set_many(100) with TTL vs redis-py pipeline of SET EX (asyncio)", ms, "pipeline",
             "set_many", 0.5),
    ]
    await raw.aclose()
    await cache.close()
    await cashews.close()
    await aiocache_user.cache.close()
    return rows


# -- Redis unreachable --------------------------------------------------------------------


def _first_calls(url: str, settings: Settings, n: int) -> list[float]:
    """Seconds taken by the first @cached call of `n` fresh caches on `url`."""
    samples = []
    for _ in range(n):
        cache = Cache.from_url(url, socket_timeout=settings.redis_socket_timeout,
                               connect_timeout=settings.redis_connect_timeout)
        f = cached(prefix="down", ttl=60, cache=cache)(_identity)
        started = time.perf_counter()
        f(1)
        samples.append(time.perf_counter() - started)
        cache.close()
    return samples


def _identity(x: int) -> int:
    return x


def _fail_open_rows(settings: Settings, quick: bool) -> list[BenchRow]:
    connect, read = settings.redis_connect_timeout, settings.redis_socket_timeout
    refused = _first_calls(f"redis://127.0.0.1:{_closed_port()}/0", settings, 10 if quick else 50)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(64)  # connections complete in the kernel; nothing ever answers
        silent = _first_calls(f"redis://127.0.0.1:{hung.getsockname()[1]}/0", settings,
                              2 if quick else 8)

    cache = Cache.from_url(f"redis://127.0.0.1:{_closed_port()}/0",
                           breaker=CircuitBreaker(threshold=3))
    f = cached(prefix="down", ttl=60, cache=cache)(_identity)
    for i in range(3):
        f(i)  # three failures open the breaker
    open_calls = []
    for i in range(100 if quick else 1000):
        started = time.perf_counter()
        f(i)
        open_calls.append(time.perf_counter() - started)
    cache.close()

    def median_ms(xs: list[float]) -> str:
        seconds = float(np.median(xs))
        return f"median {seconds * 1e6:.3g} µs" if seconds < 1e-3 else f"median {seconds * 1e3:.3g} ms"

    return [
        _budget_row(f"Redis refusing: first @cached call vs connect timeout {connect:g} s "
                    f"({median_ms(refused)})", refused, connect),
        _budget_row(f"Redis silent: first @cached call vs connect + socket timeout "
                    f"{connect + read:g} s ({median_ms(silent)})", silent, connect + read),
        _budget_row(f"Redis down, breaker open: @cached call vs 5 ms ({median_ms(open_calls)})",
                    open_calls, 0.005),
    ]


def run(settings: Settings, *, quick: bool = False) -> list[BenchRow]:
    """Every cache row: hits, batches and fail-open, sync and asyncio."""
    url = str(settings.redis_url)
    with _namespace(url) as ns, warnings.catch_warnings():
        # dogpile.cache, aiocache and cashews call redis-py methods it has deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        rows = _sync_rows(url, ns, quick)
        rows += asyncio.run(_async_rows(url, ns, quick))
    rows += _fail_open_rows(settings, quick)
    return rows
