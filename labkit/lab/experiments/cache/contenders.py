"""The same cached read in labkit, raw redis-py and other caching libraries, as timed cases.

Each builder is a context manager yielding zero-argument cases (coroutine functions for
asyncio) that read one msgpack'd user record already in Redis, or a batch of 100; `make bench`
and the cache notebook time them with the same harness. cashews, aiocache and dogpile.cache
come from the `bench` extra and are imported only here, when a builder is entered.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any
from urllib.parse import urlsplit

import msgpack
import redis
import redis.asyncio

from labkit.cache import AsyncCache, Cache, cached
from labkit.lab.experiments.cache.payloads import RECORD, user_record

__all__ = [
    "RAW_GET",
    "BATCH",
    "sync_hit_cases",
    "async_hit_cases",
    "sync_batch_cases",
    "async_batch_cases",
]

RAW_GET = "raw redis-py GET + msgpack decode"  # the case every hit is compared with
BATCH = 100

SyncCases = dict[str, Callable[[], Any]]
AsyncCases = dict[str, Callable[[], Awaitable[Any]]]


@contextmanager
def _quiet_deprecations() -> Iterator[None]:
    # dogpile.cache, aiocache and cashews call redis-py methods it has deprecated
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


_BATCH_LABELS = {
    "mget": "raw redis-py MGET + msgpack decode of {n}",
    "get_many": "labkit get_many({n})",
    "pipeline": "redis-py pipeline of {n} SET ... EX",
    "set_many": "labkit set_many({n}) with TTL",
}


def _labelled(batch: int, cases: dict[str, Any], suffix: str = "") -> dict[str, Any]:
    """Label the batch cases with their size (a case's docstring is its label)."""
    for name, fn in cases.items():
        fn.__doc__ = _BATCH_LABELS[name].format(n=batch) + suffix
    return cases


@contextmanager
def sync_hit_cases(url: str, namespace: str) -> Iterator[SyncCases]:
    """A hit of raw redis-py GET + decode, labkit `@cached` and dogpile.cache, keys under `namespace`."""
    from dogpile.cache import make_region

    with _quiet_deprecations():
        raw = redis.Redis.from_url(url, max_connections=50)
        cache = Cache.from_url(url, key_prefix=namespace)

        @cached(prefix="user", ttl=300, cache=cache)
        def get_user(user_id: int) -> dict[str, Any]:
            return dict(RECORD, id=user_id)

        region = make_region(serializer=msgpack.packb, deserializer=msgpack.unpackb).configure(
            "dogpile.cache.redis", expiration_time=300,
            arguments={"url": url, "redis_expiration_time": 300, "distributed_lock": False},
        )

        @region.cache_on_arguments(namespace=f"{namespace}-dogpile")
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

        try:
            yield {RAW_GET: raw_get, "labkit": labkit_hit, "dogpile": dogpile_hit}
        finally:
            raw.close()
            cache.close()
            region.backend.writer_client.close()  # type: ignore[attr-defined]


@contextmanager
def sync_batch_cases(url: str, namespace: str, batch: int = BATCH) -> Iterator[SyncCases]:
    """Raw MGET + decode vs `get_many`, and a redis-py pipeline of SET EX vs `set_many`, of `batch` keys."""
    raw = redis.Redis.from_url(url, max_connections=50)
    cache = Cache.from_url(url, key_prefix=namespace)
    names = [f"batch:{i}" for i in range(batch)]
    full = [cache.full_key(n) for n in names]
    cache.set_many({n: user_record(i) for i, n in enumerate(names)}, ttl=300)
    records = {f"{namespace}:w:{i}": user_record(i) for i in range(batch)}
    mapping = {f"w:{i}": user_record(i) for i in range(batch)}

    def raw_mget() -> Any:
        return [msgpack.unpackb(v) for v in raw.mget(full)]

    def labkit_get_many() -> Any:
        return cache.get_many(names)

    def raw_pipeline() -> Any:
        pipe = raw.pipeline(transaction=False)
        for k, v in records.items():
            pipe.set(k, msgpack.packb(v), ex=300)
        return pipe.execute()

    def labkit_set_many() -> None:
        cache.set_many(mapping, ttl=300)

    try:
        yield _labelled(batch, {"mget": raw_mget, "get_many": labkit_get_many, "pipeline": raw_pipeline,
                                "set_many": labkit_set_many})
    finally:
        raw.close()
        cache.close()


def _aiocache_options(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    return {"endpoint": parts.hostname or "127.0.0.1", "port": parts.port or 6379,
            "db": int((parts.path or "/0").strip("/") or 0), "password": parts.password}


@asynccontextmanager
async def async_hit_cases(url: str, namespace: str) -> AsyncIterator[AsyncCases]:
    """A hit of raw redis-py asyncio GET + decode, labkit `@cached`, aiocache and cashews."""
    from aiocache import Cache as AioCache
    from aiocache import cached as aio_cached
    from aiocache.serializers import BaseSerializer
    from cashews import Cache as CashewsCache

    with _quiet_deprecations():
        raw = redis.asyncio.Redis.from_url(url, max_connections=50)
        cache = AsyncCache.from_url(url, key_prefix=namespace)

        @cached(prefix="user", ttl=300, cache=cache)
        async def get_user(user_id: int) -> dict[str, Any]:
            return dict(RECORD, id=user_id)

        class MsgPack(BaseSerializer):  # aiocache's own msgpack serializer decodes bytes as text
            DEFAULT_ENCODING = None

            def dumps(self, value: Any) -> bytes:
                return msgpack.packb(value)

            def loads(self, value: bytes | None) -> Any:
                return None if value is None else msgpack.unpackb(value)

        @aio_cached(ttl=300, cache=AioCache.REDIS, serializer=MsgPack(),
                    namespace=f"{namespace}-aiocache", **_aiocache_options(url))
        async def aiocache_user(user_id: int) -> dict[str, Any]:
            return dict(RECORD, id=user_id)

        cashews = CashewsCache()
        cashews.setup(url)

        @cashews(ttl=300, prefix=f"{namespace}-cashews")
        async def cashews_user(user_id: int) -> dict[str, Any]:
            return dict(RECORD, id=user_id)

        for fn in (get_user, aiocache_user, cashews_user):
            await fn(42)
        key = cache.full_key(get_user.key_for(42))

        async def raw_get() -> Any:
            """raw redis-py asyncio GET + msgpack decode"""
            return msgpack.unpackb(await raw.get(key))

        async def labkit_hit() -> Any:
            """labkit @cached hit"""
            return await get_user(42)

        async def aiocache_hit() -> Any:
            """aiocache @cached hit"""
            return await aiocache_user(42)

        async def cashews_hit() -> Any:
            """cashews @cache hit"""
            return await cashews_user(42)

        try:
            yield {RAW_GET: raw_get, "labkit": labkit_hit, "aiocache": aiocache_hit, "cashews": cashews_hit}
        finally:
            await raw.aclose()
            await cache.close()
            await cashews.close()
            await aiocache_user.cache.close()


@asynccontextmanager
async def async_batch_cases(url: str, namespace: str, batch: int = BATCH) -> AsyncIterator[AsyncCases]:
    """`sync_batch_cases` for asyncio: raw MGET vs `get_many`, pipeline of SET EX vs `set_many`."""
    raw = redis.asyncio.Redis.from_url(url, max_connections=50)
    cache = AsyncCache.from_url(url, key_prefix=namespace)
    names = [f"abatch:{i}" for i in range(batch)]
    full = [cache.full_key(n) for n in names]
    await cache.set_many({n: user_record(i) for i, n in enumerate(names)}, ttl=300)
    records = {f"{namespace}:aw:{i}": user_record(i) for i in range(batch)}
    mapping = {f"aw:{i}": user_record(i) for i in range(batch)}

    async def raw_mget() -> Any:
        return [msgpack.unpackb(v) for v in await raw.mget(full)]

    async def labkit_get_many() -> Any:
        return await cache.get_many(names)

    async def raw_pipeline() -> Any:
        pipe = raw.pipeline(transaction=False)
        for k, v in records.items():
            pipe.set(k, msgpack.packb(v), ex=300)
        return await pipe.execute()

    async def labkit_set_many() -> None:
        await cache.set_many(mapping, ttl=300)

    try:
        yield _labelled(batch, {"mget": raw_mget, "get_many": labkit_get_many, "pipeline": raw_pipeline,
                                "set_many": labkit_set_many}, " (asyncio)")
    finally:
        await raw.aclose()
        await cache.close()
