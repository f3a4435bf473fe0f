"""Scratch space to measure in: a key namespace on a shared Redis, deleted afterwards, or a memory cache.

Benchmarks and notebooks measure on a server others may share; they write only under such a
prefix and never flush the database.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from labkit.cache import Cache
from labkit.errors import CacheArgumentError

__all__ = ["scratch_namespace", "scratch_cache"]


@contextmanager
def scratch_namespace(url: str, stem: str = "labkit-bench") -> Iterator[str]:
    """Yield a unique key prefix `stem-xxxxxxxxxx`; delete every key under it on the way out."""
    prefix = f"{stem}-{uuid.uuid4().hex[:10]}"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(url)
        try:
            keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
            for i in range(0, len(keys), 500):
                client.delete(*keys[i:i + 500])
        finally:
            client.close()


@contextmanager
def scratch_cache(backend: str, url: str | None = None, stem: str = "labkit-bench") -> Iterator[Cache]:
    """A `Cache` to measure: on Redis at `url` under a scratch namespace, or in memory; closed after."""
    if backend == "memory":
        with Cache.memory(key_prefix=stem) as cache:
            yield cache
    elif backend == "redis":
        if not url:
            raise CacheArgumentError("a Redis scratch cache needs the server's URL")
        with scratch_namespace(url, stem) as ns, Cache.from_url(url, key_prefix=ns) as cache:
            yield cache
    else:
        raise CacheArgumentError(f"unknown cache backend {backend!r}; choose from redis, memory")
