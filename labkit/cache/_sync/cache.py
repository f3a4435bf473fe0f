# Generated from labkit/cache/_async/cache.py by `make unasync`: do not edit.
"""The cache region over any backend (Redis, memory, your own): the API callers use.

Keys get the region's prefix, values are msgpack'd with TTLs (jittered if asked), tags and
namespaces; failures are counted and feed the circuit breaker.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterable, Mapping, Sized
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

from labkit.cache._sync.backend import Backend
from labkit.cache._sync.cluster import RedisClusterBackend, redis_backend_for
from labkit.cache._sync.memory import MemoryBackend
from labkit.cache._sync.near import NearCacheBackend
from labkit.cache._sync.redis import RedisBackend
from labkit.cache.base import CORRUPT, MISS, UNAVAILABLE, CacheBase
from labkit.cache.cluster_map import is_cluster_url
from labkit.cache.serializer import dumps
from labkit.errors import CacheArgumentError, CacheUnavailable
from labkit.settings import Settings

if TYPE_CHECKING:
    from labkit.cache.decorator import CacheDecorator

__all__ = ["Cache"]

_now = time.perf_counter
_C = TypeVar("_C", bound="Cache")


class Cache(CacheBase[Backend]):
    """Get and set msgpack values by key, with TTLs, tags, namespaces, metrics and a breaker.

    Backend failures raise `CacheUnavailable`; corrupt bytes read as a miss.
    """

    @classmethod
    def from_settings(cls: type[_C], settings: Settings, **options: Any) -> _C:
        """A Redis cache built from `settings` (URL, pool size, timeouts, TTL, key prefix); a
        `redis+cluster://` URL gives a Redis Cluster cache."""
        options.setdefault("key_prefix", settings.cache_key_prefix)
        options.setdefault("default_ttl", settings.cache_default_ttl)
        if is_cluster_url(settings.redis_url):
            return cls(RedisClusterBackend.from_settings(settings), **options)
        return cls(RedisBackend.from_settings(settings), **options)

    @classmethod
    def from_url(cls: type[_C], url: str, *, max_connections: int = 50, socket_timeout: float = 0.5,
                 connect_timeout: float = 0.5, near_entries: int = 0, near_ttl: float = 5.0,
                 **options: Any) -> _C:
        """A Redis cache on `url`: `redis://host:port/db` for one server, or
        `redis+cluster://host:port[,host:port...]` for a Redis Cluster (any nodes; the rest are found).

        `near_entries > 0` puts a near cache of that many entries in front: reads served from
        process memory, invalidated by Redis (every master of a cluster), each kept at most `near_ttl` s.
        """
        timeouts: dict[str, Any] = {"max_connections": max_connections, "socket_timeout": socket_timeout,
                                    "connect_timeout": connect_timeout}
        backend: Backend
        if near_entries:
            prefix = str(options.get("key_prefix", "labkit")) + ":"
            backend = NearCacheBackend(url, prefixes=(prefix,), max_entries=near_entries,
                                            local_ttl=near_ttl, **timeouts)
        else:
            backend = redis_backend_for(url, **timeouts)
        return cls(backend, **options)

    @classmethod
    def memory(cls: type[_C], max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic,
               **options: Any) -> _C:
        """An in-process cache: bounded LRU with TTLs on `clock`."""
        return cls(MemoryBackend(max_entries, clock), **options)

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the backend's connections."""
        self.backend.close()

    # -- the interface of @cached: full keys in, never raises on backend failure -----------

    def lookup(self, key: str, count: bool = True) -> Any:
        """The value under the full `key`; MISS if absent or corrupt; UNAVAILABLE on failure.

        `count=False` leaves the hit and miss counters to the caller; UNAVAILABLE counts as a lookup bypassed.
        """
        breaker = self.breaker
        if breaker.opened_at is not None and self._blocked():
            self._m.lookups_bypassed += 1
            return UNAVAILABLE
        started = _now()
        try:
            data = self.backend.get(key)
        except self._errors as exc:
            if self._foreign(exc):
                return self._drop_foreign(key)
            self._failure("get", exc)
            self._m.lookups_bypassed += 1
            return UNAVAILABLE
        m = self._m
        m.observe("get", _now() - started)
        if breaker.failures:
            breaker.success()
        value = self._decode(data, count)
        if value is CORRUPT:
            self._quiet("delete", self.backend.delete, [key])
            return MISS
        return value

    def lookup_stale(self, key: str) -> Any:
        """The value kept past expiry under the full `key` (counted as served stale), or MISS."""
        value = self.lookup(key, count=False)
        if value is MISS or value is UNAVAILABLE:
            return MISS
        self._m.stale_served += 1
        return value

    def poll(self, key: str) -> Any:
        """`lookup` while another computes the value: a find counts as a hit, a miss not at all."""
        value = self.lookup(key, count=False)
        if value is not MISS and value is not UNAVAILABLE:
            self._m.hits += 1
        return value

    def lookup_versioned(self, prefix: str, args_part: str) -> tuple[str | None, Any]:
        """(full key at the namespace's version, value or MISS); (None, MISS) on backend failure."""
        if self.breaker.opened_at is not None and self._blocked():
            self._m.lookups_bypassed += 1
            return None, MISS
        head, tail = f"{self.key_head}{prefix}:v", ":" + args_part
        started = _now()
        try:
            version, data = self.backend.get_versioned(self._namespace_key(prefix), head, tail)
        except self._errors as exc:
            self._failure("get", exc)
            self._m.lookups_bypassed += 1
            return None, MISS
        self._m.observe("get", _now() - started)
        if self.breaker.failures:
            self.breaker.success()
        full = f"{head}{version}{tail}"
        value = self._decode(data)
        if value is CORRUPT:
            self._quiet("delete", self.backend.delete, [full])
            return full, MISS
        return full, value

    def versioned_key(self, prefix: str, args_part: str) -> str:
        """The full key of an entry at its namespace's current version (raises CacheUnavailable)."""
        head, tail = f"{self.key_head}{prefix}:v", ":" + args_part
        version, _ = self._call("get", self.backend.get_versioned,
                                      self._namespace_key(prefix), head, tail)
        return f"{head}{version}{tail}"

    def store(self, key: str, value: Any, ttl: float | None, tags: Iterable[str] = (),
                    stale: tuple[str, float] | None = None) -> None:
        """Write a computed value under the full `key`, and a copy under `stale[0]` kept `stale[1]` s
        longer; an unencodable value raises (nothing written), a backend failure is only counted."""
        data = dumps(value)
        ttl_ms = self._ttl_ms(ttl)
        tag_keys = self._tag_keys(tags) if tags else []
        backend = self.backend
        if tag_keys:
            ok = self._quiet("set", backend.set_tagged, key, data, ttl_ms, tag_keys)
            if stale is not None:
                self._quiet("set", backend.set, stale[0], data, ttl_ms + round(stale[1] * 1000))
        elif stale is not None:
            items = [(key, data, ttl_ms), (stale[0], data, ttl_ms + round(stale[1] * 1000))]
            ok = self._quiet("set_many", backend.set_many, items)
        else:
            ok = self._quiet("set", backend.set, key, data, ttl_ms)
        if ok is not MISS:
            self._m.sets += 1
            self._m.bytes_written += len(data)

    def try_lock(self, key: str, token: bytes, timeout: float) -> bool | None:
        """Take the lock `key` for `timeout` s: True if taken, False if held, None if unknown."""
        owned = self._quiet("lock", self.backend.add, key, token, round(timeout * 1000))
        return None if owned is MISS else bool(owned)

    def unlock(self, key: str, token: bytes) -> None:
        """Release the lock `key` if `token` still owns it."""
        self._quiet("unlock", self.backend.delete_if_equals, key, token)

    def drop(self, keys: list[str]) -> int:
        """Delete entries by full key (raises CacheUnavailable); how many existed."""
        deleted = int(self._call("delete", self.backend.delete, keys))
        self._m.deletes += deleted
        return deleted

    # -- calling the backend --------------------------------------------------------------

    def _drop_foreign(self, key: str) -> Any:
        """A key of another Redis type is foreign data: count it, delete it, report a miss."""
        self._m.decode_errors += 1
        self._m.misses += 1
        self._quiet("delete", self.backend.delete, [key])
        return MISS

    def _quiet(self, operation: str, call: Callable[..., Any], *args: Any) -> Any:
        """Run a backend call, counting a failure instead of raising; MISS when it failed."""
        breaker = self.breaker
        if breaker.opened_at is not None and self._blocked():
            return MISS
        started = _now()
        try:
            out = call(*args)
        except self._errors as exc:
            self._failure(operation, exc)
            return MISS
        self._m.observe(operation, _now() - started)
        if breaker.failures:
            breaker.success()
        return out

    def _call(self, operation: str, call: Callable[..., Any], *args: Any) -> Any:
        """Run a backend call; raise CacheUnavailable on failure or while the circuit is open."""
        breaker = self.breaker
        if breaker.opened_at is not None and self._blocked():  # the check inline: a hot path
            raise self._open_error(operation)
        started = _now()
        try:
            out = call(*args)
        except self._errors as exc:
            raise self._failure(operation, exc) from exc
        self._m.observe(operation, _now() - started)
        if breaker.failures:
            breaker.success()
        return out

    # -- the public API -------------------------------------------------------------------

    def get(self, key: str, default: Any = None) -> Any:
        """The value under `key`, or `default` when missing (a stored None comes back as None)."""
        full = self.full_key(key)
        try:
            data = self._call("get", self.backend.get, full)
        except CacheUnavailable as exc:
            if exc.__cause__ is None or not self._foreign(exc.__cause__):
                raise
            self._drop_foreign(full)
            return default
        value = self._decode(data)
        if value is CORRUPT:
            self._quiet("delete", self.backend.delete, [full])
            return default
        return default if value is MISS else value

    def set(self, key: str, value: Any, ttl: float | None = None, *,
                  tags: Iterable[str] = ()) -> None:
        """Store `value` for `ttl` seconds (default TTL if None), optionally under tags."""
        full = self.full_key(key)
        ttl_ms = self._ttl_ms(ttl)
        tag_keys = self._tag_keys(tags)
        data = dumps(value)
        if tag_keys:
            self._call("set", self.backend.set_tagged, full, data, ttl_ms, tag_keys)
        else:
            self._call("set", self.backend.set, full, data, ttl_ms)
        self._m.sets += 1
        self._m.bytes_written += len(data)

    def delete(self, *keys: str) -> int:
        """Delete entries; returns how many existed."""
        return self.drop([self.full_key(k) for k in keys])

    def exists(self, key: str) -> bool:
        """Whether `key` holds a live entry."""
        return bool(self._call("exists", self.backend.exists, self.full_key(key)))

    def ttl(self, key: str) -> float | None:
        """Seconds `key` has left to live; None if it is missing."""
        ms = self._call("ttl", self.backend.pttl, self.full_key(key))
        return None if ms is None else ms / 1000.0

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The found entries among `keys`, in one round trip (missing keys are left out)."""
        keys = list(keys)
        if not keys:
            return {}
        full = self._full_keys(keys)
        datas = self._call("get_many", self.backend.get_many, full)
        out, corrupt = self._decode_many(keys, full, datas)
        if corrupt:
            self._quiet("delete", self.backend.delete, corrupt)
        return out

    def set_many(self, mapping: Mapping[str, Any], ttl: float | None = None) -> None:
        """Store every item with its own (jittered) TTL in one round trip; all encoded first."""
        if not mapping:
            return
        keys = self._full_keys(list(mapping))
        datas = [dumps(v) for v in mapping.values()]
        items = list(zip(keys, datas, self._ttls_ms(ttl, len(keys)), strict=True))
        self._call("set_many", self.backend.set_many, items)
        self._m.sets += len(items)
        self._m.bytes_written += sum(len(d) for _, d, _ in items)

    def warm(self, keys: Iterable[Any], load: Callable[[list[Any]], Any], *, ttl: float | None = None,
                   batch: int = 500, progress: Callable[[int, int | None], None] | None = None) -> int:
        """Preload entries before traffic needs them; the number written.

        `keys` (the hottest ones, or any list) are taken `batch` at a time; `load(chunk)` returns
        {cache key: value} for a chunk (it may be a coroutine function), written with one pipelined
        `set_many` each; `progress(done, total)` follows every chunk (`total` None for an iterator).
        """
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise CacheArgumentError(f"batch must be an integer >= 1, got {batch!r}")
        total = len(keys) if isinstance(keys, Sized) else None
        done, remaining = 0, iter(keys)
        while chunk := list(islice(remaining, batch)):
            done += self._warm_chunk(chunk, load, ttl)
            if progress is not None:
                progress(done, total)
        return done

    def _warm_chunk(self, chunk: list[Any], load: Callable[[list[Any]], Any], ttl: float | None) -> int:
        values = load(chunk)
        if inspect.isawaitable(values):
            values = values
        if not isinstance(values, Mapping):
            raise CacheArgumentError(f"load must return a mapping of cache key to value, got {type(values).__name__}")
        self.set_many(values, ttl)
        return len(values)

    def invalidate_tags(self, *tags: str) -> int:
        """Delete every entry written with any of `tags`; returns how many were deleted."""
        deleted = int(self._call("invalidate_tags", self.backend.invalidate_tags,
                                       self._tag_keys(tags)))
        self._m.deletes += deleted
        return deleted

    def bump_namespace(self, prefix: str) -> int:
        """Invalidate every versioned @cached entry under `prefix` in O(1); the new version."""
        return int(self._call("incr", self.backend.incr, self._namespace_key(prefix)))

    def cached(self, prefix: str | None = None, ttl: float | None = None,
               **options: Any) -> CacheDecorator:
        """`@cached(...)` bound to this cache."""
        from labkit.cache.decorator import cached

        return cached(prefix, ttl, cache=self, **options)
