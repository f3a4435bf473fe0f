"""Near cache speed: a hit served from process memory against a raw redis-py GET + decode, same run,
and the staleness window (another client's write to the local copy being dropped), p50/p99.

The suite starts a redis-server of the lab's own binary, so the near cache's tracking connection
(RESP3 CLIENT TRACKING, Redis 6+) touches nobody else's server. redis-py's own client-side cache
needs Redis 7.4+; when the server is older its row is left out and the suite says so.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import msgpack
import redis
import redis.asyncio

from labkit.cache import AsyncCache, AsyncNearCacheBackend, Cache, NearCacheBackend, cached
from labkit.lab.bench import BenchRow, Measurement, ratio, run_interleaved, run_interleaved_async
from labkit.lab.errors import MeasurementTimeout
from labkit.lab.experiments.cache.payloads import RECORD
from labkit.lab.experiments.cache.staleness import measure_staleness, staleness_summary
from labkit.lab.services.private_redis import private_redis
from labkit.settings import Settings

__all__ = ["run"]

SUITE = "near_cache"
_NS = "bench-near"
_RAW = "raw redis-py GET + msgpack decode"


def _params(quick: bool) -> dict[str, Any]:
    return {"repeats": 15, "warmups": 3, "inner": 20} if quick else {"repeats": 200, "warmups": 20, "inner": 200}


def _row(name: str, ms: dict[str, Measurement], a: str, b: str, target: float | None) -> BenchRow:
    return BenchRow(SUITE, name, ratio(ms[a], ms[b]), target)


def _wait(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise MeasurementTimeout("the near cache's tracking connection did not come up")
        time.sleep(0.001)


def _sync_rows(url: str, quick: bool) -> list[BenchRow]:
    raw = redis.Redis.from_url(url)
    near = NearCacheBackend(url, prefixes=(f"{_NS}:",), max_entries=1000)
    cache = Cache(near, key_prefix=_NS)

    @cached(prefix="user", ttl=300, cache=cache)
    def get_user(user_id: int) -> dict[str, Any]:
        return dict(RECORD, id=user_id)

    cache.get("warm-up")  # starts tracking
    _wait(lambda: near.listener.ready)
    cache.set("user", RECORD)
    get_user(42)
    key = cache.full_key("user")

    def raw_get() -> Any:
        """raw redis-py GET + msgpack decode"""
        return msgpack.unpackb(raw.get(key))

    def near_get() -> Any:
        """labkit near cache get (hit)"""
        return cache.get("user")

    def near_cached() -> Any:
        """labkit @cached hit, near cache"""
        return get_user(42)

    try:
        ms = run_interleaved({_RAW: raw_get, "get": near_get, "cached": near_cached}, **_params(quick))
    finally:
        raw.close()
        cache.close()
    return [
        _row("near-cache get hit vs raw GET+decode (sync)", ms, _RAW, "get", 0.1),
        _row("near-cache @cached hit vs raw GET+decode (sync)", ms, _RAW, "cached", 0.1),
    ]


async def _async_rows(url: str, quick: bool) -> list[BenchRow]:
    raw = redis.asyncio.Redis.from_url(url)
    near = AsyncNearCacheBackend(url, prefixes=(f"{_NS}:",), max_entries=1000)
    cache = AsyncCache(near, key_prefix=_NS)
    await cache.get("warm-up")
    await near.listener.wait_ready(5.0)
    await cache.set("user", RECORD)
    await cache.get("user")
    key = cache.full_key("user")

    async def raw_get() -> Any:
        """raw redis-py asyncio GET + msgpack decode"""
        return msgpack.unpackb(await raw.get(key))

    async def near_get() -> Any:
        """labkit asyncio near cache get (hit)"""
        return await cache.get("user")

    try:
        ms = await run_interleaved_async({_RAW: raw_get, "get": near_get}, **_params(quick))
    finally:
        await raw.aclose()
        await cache.close()
    return [_row("near-cache get hit vs raw GET+decode (asyncio)", ms, _RAW, "get", 0.1)]


def _server_version(url: str) -> tuple[int, ...]:
    with redis.Redis.from_url(url) as client:
        return tuple(int(p) for p in str(client.info("server")["redis_version"]).split(".")[:2])


def run(settings: Settings, *, quick: bool = False) -> list[BenchRow]:
    """Near-cache hits against raw GETs, sync and asyncio, on a private redis-server."""
    with private_redis() as server:
        rows = _sync_rows(server.url, quick)
        rows += asyncio.run(_async_rows(server.url, quick))
        version = _server_version(server.url)
        window = staleness_summary(measure_staleness(server.url, 50 if quick else 500))
    print(f"near_cache: staleness window (another client's write -> local copy dropped): {window}")
    if version < (7, 4):
        print(f"near_cache: redis-py's client-side cache needs Redis 7.4+, the server is "
              f"{'.'.join(map(str, version))}: no row for it")
    return rows
