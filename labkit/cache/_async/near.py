"""A near cache: a bounded in-process LRU in front of Redis, kept fresh by Redis itself.

Reads are served from process memory (about a microsecond) while a listener holds RESP3
`CLIENT TRACKING` in broadcast mode for the cache's key prefixes: any write to a key there, by
anyone, drops the local copy when its invalidation arrives (keys outside them are never kept).
Our own writes come back as invalidations too: a read between a write and its invalidation may
be kept and then dropped, a lost chance to serve locally, never a stale read. Safety nets: every local entry
also expires after `local_ttl` seconds; nothing is served locally while tracking is not on, and
everything local is dropped when the tracking connection is lost. A read that an invalidation
overtakes is not kept. Writes go to Redis and drop the local copy at once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from redis.connection import ConnectionPool

from labkit.cache._async.cluster import AsyncRedisClusterBackend, redis_backend_for
from labkit.cache._async.redis import AsyncRedisBackend
from labkit.cache.tracking import AsyncInvalidationListener, AsyncListenerGroup
from labkit.errors import CacheArgumentError
from labkit.secrets import mask_url

__all__ = ["AsyncNearCacheBackend"]

_Entry = tuple[bytes | None, float]  # (bytes or None for a known miss, expiry on the clock)


class AsyncNearCacheBackend:
    """Redis (one server, or a cluster) behind a local LRU whose entries Redis invalidates (RESP3
    tracking, Redis 6+)."""

    def __init__(
        self,
        url: str,
        *,
        prefixes: Sequence[str] = ("",),
        max_entries: int = 10_000,
        local_ttl: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        max_connections: int = 50,
        socket_timeout: float = 0.5,
        connect_timeout: float = 0.5,
    ) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise CacheArgumentError(f"max_entries must be an integer >= 1, got {max_entries!r}")
        if isinstance(local_ttl, bool) or not isinstance(local_ttl, (int, float)) or not local_ttl > 0:
            raise CacheArgumentError(f"local_ttl must be a positive number of seconds, got {local_ttl!r}")
        timeouts: dict[str, Any] = {"max_connections": max_connections, "socket_timeout": socket_timeout,
                    "connect_timeout": connect_timeout}
        self.inner: AsyncRedisBackend | AsyncRedisClusterBackend
        self.listener: AsyncInvalidationListener | AsyncListenerGroup
        self.inner = redis_backend_for(url, **timeouts)
        if isinstance(self.inner, AsyncRedisClusterBackend):
            self.listener = self._cluster_listeners(self.inner, tuple(prefixes), connect_timeout)
        else:
            self.listener = self._server_listener(url, tuple(prefixes), connect_timeout)
        self.errors = self.inner.errors
        self.server_errors = self.inner.server_errors
        self.name = f"near cache over {mask_url(url)}"
        self.max_entries = max_entries
        self.local_ttl = float(local_ttl)
        self.local_hits = 0  # reads answered from process memory
        self.invalidated = 0  # local entries dropped by an invalidation from Redis
        self.keys_invalidated = 0  # keys named by invalidation messages (held here or not)
        self.prefixes = tuple(prefixes)  # only keys under these are tracked, so only they are kept
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._pending: dict[str, object] = {}  # key -> token of a read in flight
        self._lock = threading.Lock()  # the listener may be a thread: keeping and dropping take turns

    def _server_listener(self, url: str, prefixes: tuple[str, ...], connect_timeout: float
                         ) -> AsyncInvalidationListener:
        where = ConnectionPool.from_url(url).connection_kwargs
        if "host" not in where:
            raise CacheArgumentError(f"a near cache needs a redis:// TCP URL, got {mask_url(url)!r}")
        return AsyncInvalidationListener(
            str(where["host"]), int(where.get("port", 6379)), prefixes, self._invalidate, self._drop_all,
            username=where.get("username"), password=where.get("password"), connect_timeout=connect_timeout,
        )

    def _cluster_listeners(self, inner: AsyncRedisClusterBackend, prefixes: tuple[str, ...],
                           connect_timeout: float) -> AsyncListenerGroup:
        """A listener per master: each node reports writes to its own keys only."""
        url = inner.cluster

        def masters() -> set[str]:
            return {address for address in inner.map.owners if address}

        def make(address: str) -> AsyncInvalidationListener:
            host, _, port = address.rpartition(":")
            return AsyncInvalidationListener(host, int(port), prefixes, self._invalidate, self._drop_all,
                                             username=url.username, password=url.password,
                                             connect_timeout=connect_timeout)

        return AsyncListenerGroup(masters, make, self._drop_all)

    # -- what Redis tells us ----------------------------------------------------------------

    def _invalidate(self, keys: list[bytes] | None) -> None:
        if keys is None:  # FLUSHDB / FLUSHALL
            self._drop_all()
            return
        with self._lock:
            self.keys_invalidated += len(keys)
            entries, pending = self._entries, self._pending
            for raw in keys:
                key = raw.decode(errors="surrogateescape")
                if entries.pop(key, None) is not None:
                    self.invalidated += 1
                pending.pop(key, None)

    def _drop_all(self) -> None:
        with self._lock:
            self._entries.clear()
            self._pending.clear()

    def _forget(self, keys: Sequence[str]) -> None:
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)
                self._pending.pop(key, None)

    def _keep(self, key: str, data: bytes | None, token: object, generation: int) -> None:
        """Keep what a read found, unless an invalidation or a lost connection overtook it."""
        with self._lock:
            if self._pending.get(key) is not token:
                return
            del self._pending[key]
            if self.listener.ready and self.listener.generation == generation:
                entries = self._entries
                entries[key] = (data, self._clock() + self.local_ttl)
                if len(entries) > self.max_entries:
                    entries.popitem(last=False)

    def _unpend(self, keys: Sequence[str], token: object) -> None:
        with self._lock:
            for key in keys:
                if self._pending.get(key) is token:
                    del self._pending[key]

    def local(self, key: str) -> bytes | None:
        """The bytes held locally for `key` (None if none), without counting or reading Redis."""
        entry = self._entries.get(key)
        return entry[0] if entry is not None and entry[1] > self._clock() else None

    # -- the backend API ------------------------------------------------------------------

    async def get(self, key: str) -> bytes | None:
        """The bytes under `key`: from process memory when held there, else from Redis (then kept)."""
        listener = self.listener
        if not listener.ready:
            listener.start()  # (re)connects what is missing; reads go to Redis meanwhile
            return await self.inner.get(key)
        if not key.startswith(self.prefixes):
            return await self.inner.get(key)
        entry = self._entries.get(key)
        if entry is not None:
            if entry[1] > self._clock():
                self.local_hits += 1
                try:
                    self._entries.move_to_end(key)
                except KeyError:  # invalidated meanwhile (another thread)
                    pass
                return entry[0]
            self._entries.pop(key, None)
        token, generation = object(), listener.generation
        self._pending[key] = token
        try:
            data = await self.inner.get(key)
        except BaseException:
            self._unpend([key], token)
            raise
        self._keep(key, data, token, generation)
        return data

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The bytes under each key: those held locally, the rest in one round trip (then kept)."""
        listener = self.listener
        if not listener.ready:
            listener.start()
            return await self.inner.get_many(keys)
        if not all(k.startswith(self.prefixes) for k in keys):
            return await self.inner.get_many(keys)
        now, entries = self._clock(), self._entries
        out: list[bytes | None] = []
        missing: list[int] = []
        for i, key in enumerate(keys):
            entry = entries.get(key)
            if entry is not None and entry[1] > now:
                out.append(entry[0])
            else:
                out.append(None)
                missing.append(i)
        self.local_hits += len(keys) - len(missing)
        if missing:
            wanted = [keys[i] for i in missing]
            token, generation = object(), listener.generation
            for key in wanted:
                self._pending[key] = token
            try:
                datas = await self.inner.get_many(wanted)
            except BaseException:
                self._unpend(wanted, token)
                raise
            for i, key, data in zip(missing, wanted, datas):
                out[i] = data
                self._keep(key, data, token, generation)
        return out

    async def set(self, key: str, data: bytes, ttl_ms: int) -> None:
        """Write to Redis; the local copy is dropped (the next read keeps the new bytes)."""
        self._forget([key])
        await self.inner.set(key, data, ttl_ms)

    async def set_many(self, items: Sequence[tuple[str, bytes, int]]) -> None:
        """Write every item to Redis in one round trip; their local copies are dropped."""
        self._forget([k for k, _, _ in items])
        await self.inner.set_many(items)

    async def set_tagged(self, key: str, data: bytes, ttl_ms: int, tag_keys: Sequence[str]) -> None:
        """Write `data` and add `key` to each tag set, atomically, in Redis."""
        self._forget([key])
        await self.inner.set_tagged(key, data, ttl_ms, tag_keys)

    async def add(self, key: str, data: bytes, ttl_ms: int) -> bool:
        """Write only if `key` is absent in Redis; True if written."""
        self._forget([key])
        return await self.inner.add(key, data, ttl_ms)

    async def delete_if_equals(self, key: str, data: bytes) -> bool:
        """Delete `key` in Redis only if it holds `data`."""
        self._forget([key])
        return await self.inner.delete_if_equals(key, data)

    async def delete(self, keys: Sequence[str]) -> int:
        """Delete keys in Redis and here; the number that existed in Redis."""
        self._forget(keys)
        return await self.inner.delete(keys)

    async def exists(self, key: str) -> bool:
        """Whether `key` holds a live entry in Redis."""
        return await self.inner.exists(key)

    async def pttl(self, key: str) -> int | None:
        """Milliseconds `key` has left in Redis."""
        return await self.inner.pttl(key)

    async def incr(self, key: str) -> int:
        """Add one to the counter under `key` in Redis."""
        self._forget([key])
        return await self.inner.incr(key)

    async def get_versioned(self, version_key: str, head: str, tail: str) -> tuple[int, bytes | None]:
        """A namespace version and its entry, read from Redis (not kept locally)."""
        return await self.inner.get_versioned(version_key, head, tail)

    async def invalidate_tags(self, tag_keys: Sequence[str]) -> int:
        """Delete the tagged entries in Redis; everything local is dropped (the members are not known here)."""
        try:
            return await self.inner.invalidate_tags(tag_keys)
        finally:
            self._drop_all()

    async def close(self) -> None:
        """Stop listening, drop every local entry, close the Redis connections."""
        await self.listener.stop()
        self._drop_all()
        await self.inner.close()
