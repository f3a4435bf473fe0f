"""10_cache_cluster: the cases the notebook compares, and the warming run.

Single-key and batch cases on a Redis Cluster against one server and against redis-py's own
cluster client; the near cache's hit against a raw GET; a cold cache against one warmed with the
hottest keys, on the same Zipf stream of reads. A case's docstring is its label.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import msgpack
import numpy as np
import pandas as pd
import redis

from labkit.cache import Cache, NearCacheBackend, cached
from labkit.lab.errors import MeasurementTimeout
from labkit.lab.experiments.cache.payloads import RECORD
from labkit.lab.experiments.cache.workload import ZipfWorkload
from labkit.lab.services.redis_cluster import LocalCluster

__all__ = ["single_key_cases", "batch_cases", "near_cases", "warming_run"]

Cases = dict[str, Callable[[], object]]


def _records(n: int, stem: str) -> dict[str, dict[str, Any]]:
    return {f"{stem}:{i}": dict(RECORD, id=i) for i in range(n)}


@contextmanager
def single_key_cases(cluster: LocalCluster, single_url: str, namespace: str) -> Iterator[Cases]:
    """GET and SET of one record: labkit on the cluster and on one server, redis-py's cluster client."""
    raw = cluster.client()
    on_cluster = Cache.from_url(cluster.url, key_prefix=namespace)
    on_server = Cache.from_url(single_url, key_prefix=namespace)
    key = on_cluster.full_key("user")
    on_cluster.set("user", RECORD, ttl=3600)
    on_server.set("user", RECORD, ttl=3600)

    def raw_get() -> object:
        """redis-py RedisCluster.get + decode"""
        return msgpack.unpackb(raw.get(key))

    def cluster_get() -> object:
        """labkit cluster get"""
        return on_cluster.get("user")

    def server_get() -> object:
        """labkit single-node get"""
        return on_server.get("user")

    def cluster_set() -> object:
        """labkit cluster set"""
        on_cluster.set("user", RECORD, ttl=3600)
        return None

    def server_set() -> object:
        """labkit single-node set"""
        on_server.set("user", RECORD, ttl=3600)
        return None

    try:
        yield {"raw_get": raw_get, "cluster_get": cluster_get, "server_get": server_get,
               "cluster_set": cluster_set, "server_set": server_set}
    finally:
        raw.close()
        on_cluster.close()
        on_server.close()


@contextmanager
def batch_cases(cluster: LocalCluster, single_url: str, namespace: str, batch: int) -> Iterator[Cases]:
    """`batch` records across slots: get_many / set_many on the cluster and on one server, redis-py's
    `mget_nonatomic`, and a naive loop of single calls."""
    raw = cluster.client()
    on_cluster = Cache.from_url(cluster.url, key_prefix=namespace)
    on_server = Cache.from_url(single_url, key_prefix=namespace)
    records = _records(batch, "batch")
    names = list(records)
    full = [on_cluster.full_key(n) for n in names]
    on_cluster.set_many(records, ttl=3600)
    on_server.set_many(records, ttl=3600)

    def cluster_get_many() -> object:
        """labkit cluster get_many"""
        return on_cluster.get_many(names)

    def server_get_many() -> object:
        """labkit single-node get_many"""
        return on_server.get_many(names)

    def mget_nonatomic() -> object:
        """redis-py RedisCluster.mget_nonatomic + decode"""
        return [msgpack.unpackb(v) for v in raw.mget_nonatomic(full)]

    def naive_get_loop() -> object:
        """labkit cluster get, one key at a time"""
        return [on_cluster.get(n) for n in names]

    def cluster_set_many() -> object:
        """labkit cluster set_many (a TTL per key)"""
        on_cluster.set_many(records, ttl=3600)
        return None

    def server_set_many() -> object:
        """labkit single-node set_many (a TTL per key)"""
        on_server.set_many(records, ttl=3600)
        return None

    try:
        yield {"cluster_get_many": cluster_get_many, "server_get_many": server_get_many,
               "mget_nonatomic": mget_nonatomic, "naive_get_loop": naive_get_loop,
               "cluster_set_many": cluster_set_many, "server_set_many": server_set_many}
    finally:
        raw.close()
        on_cluster.close()
        on_server.close()


@contextmanager
def near_cases(url: str, namespace: str, timeout: float = 5.0) -> Iterator[Cases]:
    """A near-cache hit against a raw redis-py GET + decode of the same record."""
    near = NearCacheBackend(url, prefixes=(f"{namespace}:",), max_entries=1000)
    cache = Cache(near, key_prefix=namespace)
    raw = redis.Redis.from_url(url)
    cache.get("user")  # starts tracking
    if not near.listener.wait_ready(timeout):
        raise MeasurementTimeout(f"tracking did not start on {near.name} within {timeout} s")
    cache.set("user", RECORD, ttl=3600)
    key = cache.full_key("user")

    def raw_get() -> object:
        """raw redis-py GET + decode"""
        return msgpack.unpackb(raw.get(key))

    def near_get() -> object:
        """labkit near-cache hit"""
        return cache.get("user")

    try:
        yield {"raw_get": raw_get, "near_get": near_get}
    finally:
        raw.delete(key)
        raw.close()
        cache.close()


def warming_run(url: str, namespace: str, *, keys: int, requests: int, skew: float = 1.0,
                hottest: int | None = None, window: int = 100, seed: int = 0) -> pd.DataFrame:
    """Hit rate per `window` reads of the same Zipf stream, for a cold cache and for one warmed with
    the `hottest` keys (ranks 0.., default: a tenth of them) by `cache.warm`; one row per window and
    start (`t_end`: reads so far, `value`: hit rate in %)."""
    stream = ZipfWorkload(keys, skew).requests(requests, seed=seed)
    hottest = hottest or max(1, keys // 10)
    rows = []
    for start in ("cold", "warmed"):
        hits = _warming_pass(url, f"{namespace}-{start}", stream, hottest if start == "warmed" else 0)
        for w in range(0, len(stream), window):
            part = hits[w:w + window]
            rows.append({"start": start, "t_end": w + len(part), "value": 100.0 * part.mean()})
    return pd.DataFrame(rows)


def _warming_pass(url: str, namespace: str, stream: np.ndarray, hottest: int) -> np.ndarray:
    """Whether each read of `stream` hit, on a fresh cache warmed first with keys 0..hottest-1."""
    computed = [0]
    with Cache.from_url(url, key_prefix=namespace) as cache:

        @cached(prefix="row", ttl=3600, cache=cache)
        def row(i: int) -> dict[str, Any]:
            computed[0] += 1
            return dict(RECORD, id=i)

        if hottest:
            cache.warm(range(hottest), lambda ids: {row.key_for(i): dict(RECORD, id=i) for i in ids})
        hits = np.empty(len(stream), dtype=bool)
        for n, key in enumerate(stream):
            before = computed[0]
            row(int(key))
            hits[n] = computed[0] == before
    return hits
