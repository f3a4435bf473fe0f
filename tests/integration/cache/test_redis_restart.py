"""A Redis restart closes every idle connection of the pool: the first call after it must still succeed."""

from __future__ import annotations

import asyncio

from labkit.cache import AsyncCache, Cache
from labkit.lab.services.private_redis import private_redis


async def test_the_async_cache_answers_the_first_call_after_a_restart() -> None:
    with private_redis() as server:
        cache = AsyncCache.from_url(server.url)
        await asyncio.gather(*(cache.set(f"k{i}", i) for i in range(12)))  # 12 connections, now idle
        server.shutdown()
        server.start_again()
        assert await cache.get("k1") is None  # a new, empty server, reached on the first try
        assert cache.metrics()["errors"] == 0 and cache.breaker.state == "closed"
        await cache.close()


def test_the_sync_cache_answers_the_first_call_after_a_restart() -> None:
    with private_redis() as server:
        cache = Cache.from_url(server.url)
        conns = [cache.backend._pool.acquire()[0] for _ in range(6)]  # six connections, then all idle
        for conn in conns:
            conn.connect()
            cache.backend._pool.release(conn)
        server.shutdown()
        server.start_again()
        assert cache.get("k1") is None
        assert cache.metrics()["errors"] == 0
        cache.close()
