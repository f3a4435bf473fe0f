"""Redis Cluster speed: labkit's cluster cache against redis-py's `RedisCluster`, and against
labkit on one server, same run.

The suite starts its own cluster (3 masters + 3 replicas of the lab's redis-server) and one
redis-server of the same binary beside it, so that both sides run the same server build. Batches
are 100 msgpack'd user records whose keys spread over every master; each row is B's median time
over A's from one interleaved run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgpack
import redis.asyncio.cluster

from labkit.cache import AsyncCache
from labkit.lab.bench import BenchRow, Measurement, ratio, run_interleaved, run_interleaved_async
from labkit.lab.experiments.cache.payloads import RECORD
from labkit.lab.experiments.cache_cluster import measure
from labkit.lab.services.private_redis import private_redis
from labkit.lab.services.redis_cluster import LocalCluster, redis_cluster
from labkit.settings import Settings

__all__ = ["run"]

SUITE = "cache_cluster"
BATCH = 100
_NS = "bench-cluster"


def _params(quick: bool, batch: bool) -> dict[str, Any]:
    if quick:
        return {"repeats": 15, "warmups": 3, "inner": 1 if batch else 5}
    return {"repeats": 200, "warmups": 20, "inner": 4 if batch else 40}


def _records() -> dict[str, dict[str, Any]]:
    return {f"user:{i}": dict(RECORD, id=i) for i in range(BATCH)}


def _row(name: str, ms: dict[str, Measurement], a: str, b: str, target: float | None) -> BenchRow:
    return BenchRow(SUITE, name, ratio(ms[a], ms[b]), target)


# -- sync ---------------------------------------------------------------------------------


def _sync_rows(cluster: LocalCluster, single_url: str, quick: bool) -> list[BenchRow]:
    with measure.single_key_cases(cluster, single_url, _NS) as cases:
        one = run_interleaved({k: cases[k] for k in ("raw_get", "cluster_get")}, **_params(quick, batch=False))
    with measure.batch_cases(cluster, single_url, _NS, BATCH) as cases:
        chosen = ("mget_nonatomic", "cluster_get_many", "server_get_many")
        many = run_interleaved({k: cases[k] for k in chosen}, **_params(quick, batch=True))
    return [
        _row("cluster GET vs RedisCluster.get+decode (sync)", one, "raw_get", "cluster_get", 1.10),
        _row("cluster get_many(100) across slots vs RedisCluster.mget_nonatomic+decode (sync)", many,
             "mget_nonatomic", "cluster_get_many", 0.6),
        _row("cluster get_many(100) vs single-node get_many(100) (sync)", many, "server_get_many",
             "cluster_get_many", 1.5),
    ]


# -- asyncio ------------------------------------------------------------------------------


@asynccontextmanager
async def _async_cases(cluster: LocalCluster, single_url: str) -> AsyncIterator[tuple[dict[str, Any], dict[str, Any]]]:
    first = cluster.alive_nodes()[0]
    raw = redis.asyncio.cluster.RedisCluster(host="127.0.0.1", port=first.port)
    cache = AsyncCache.from_url(cluster.url, key_prefix=_NS)
    single = AsyncCache.from_url(single_url, key_prefix=_NS)
    records = _records()
    names = list(records)
    full = [cache.full_key(n) for n in names]
    await cache.set_many(records, ttl=3600)
    await single.set_many(records, ttl=3600)

    async def raw_get() -> Any:
        """redis-py asyncio RedisCluster.get + msgpack decode"""
        return msgpack.unpackb(await raw.get(full[0]))

    async def cluster_get() -> Any:
        """labkit asyncio cluster get"""
        return await cache.get(names[0])

    async def mget_nonatomic() -> Any:
        """redis-py asyncio RedisCluster.mget_nonatomic(100) + decode"""
        return [msgpack.unpackb(v) for v in await raw.mget_nonatomic(full)]

    async def cluster_get_many() -> Any:
        """labkit asyncio cluster get_many(100)"""
        return await cache.get_many(names)

    async def single_get_many() -> Any:
        """labkit asyncio single-node get_many(100)"""
        return await single.get_many(names)

    try:
        yield ({"raw": raw_get, "labkit": cluster_get},
               {"mget_nonatomic": mget_nonatomic, "cluster": cluster_get_many, "single": single_get_many})
    finally:
        await raw.aclose()
        await cache.close()
        await single.close()


async def _async_rows(cluster: LocalCluster, single_url: str, quick: bool) -> list[BenchRow]:
    async with _async_cases(cluster, single_url) as (hits, batches):
        one = await run_interleaved_async(hits, **_params(quick, batch=False))
        many = await run_interleaved_async(batches, **_params(quick, batch=True))
    return [
        _row("cluster GET vs RedisCluster.get+decode (asyncio)", one, "raw", "labkit", 1.10),
        _row("cluster get_many(100) across slots vs RedisCluster.mget_nonatomic+decode (asyncio)", many,
             "mget_nonatomic", "cluster", 0.6),
        _row("cluster get_many(100) vs single-node get_many(100) (asyncio)", many, "single", "cluster", 1.5),
    ]


def run(settings: Settings, *, quick: bool = False) -> list[BenchRow]:
    """Every cluster row, sync and asyncio, on a cluster and a server started for this run."""
    with redis_cluster() as cluster, private_redis() as single:
        rows = _sync_rows(cluster, single.url, quick)
        rows += asyncio.run(_async_rows(cluster, single.url, quick))
    return rows
