"""The cache layer: msgpack values in Redis or memory, sync and asyncio, behind one API.

`Cache`/`AsyncCache` are the region (keys, TTLs, tags, metrics, breaker); backends
(`RedisBackend`, `RedisClusterBackend`, `MemoryBackend`, `NearCacheBackend`, or any
`Backend`/`AsyncBackend`) only move bytes.
`@cached` memoizes functions, typed as `CachedFunction`/`AsyncCachedFunction`.
"""

from labkit.cache._async.backend import AsyncBackend
from labkit.cache._async.cache import AsyncCache
from labkit.cache._async.cached_function import AsyncCachedFunction
from labkit.cache._async.cluster import AsyncRedisClusterBackend
from labkit.cache._async.memory import AsyncMemoryBackend
from labkit.cache._async.near import AsyncNearCacheBackend
from labkit.cache._async.redis import AsyncRedisBackend
from labkit.cache._sync.backend import Backend
from labkit.cache._sync.cache import Cache
from labkit.cache._sync.cached_function import CachedFunction
from labkit.cache._sync.cluster import RedisClusterBackend
from labkit.cache._sync.memory import MemoryBackend
from labkit.cache._sync.near import NearCacheBackend
from labkit.cache._sync.redis import RedisBackend
from labkit.cache.breaker import CircuitBreaker
from labkit.cache.decorator import cached
from labkit.cache.defaults import default_cache, set_default_cache
from labkit.cache.serializer import dumps, loads

__all__ = [
    "AsyncBackend",
    "AsyncCache",
    "AsyncCachedFunction",
    "AsyncMemoryBackend",
    "AsyncNearCacheBackend",
    "AsyncRedisBackend",
    "AsyncRedisClusterBackend",
    "Backend",
    "Cache",
    "CachedFunction",
    "CircuitBreaker",
    "MemoryBackend",
    "NearCacheBackend",
    "RedisBackend",
    "RedisClusterBackend",
    "cached",
    "default_cache",
    "dumps",
    "loads",
    "set_default_cache",
]
