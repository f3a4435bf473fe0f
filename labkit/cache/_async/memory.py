"""The memory backend: a bounded LRU of bytes with TTLs, on an injectable clock.

It stores the same msgpack bytes as Redis, so values come back as copies and every
serialization rule holds exactly as with Redis. Thread-safe; never raises backend errors.
Its methods never await: each runs to completion under the lock, in either flavour.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from labkit.errors import CacheArgumentError

__all__ = ["AsyncMemoryBackend"]

_Entry = tuple[bytes, float, tuple[str, ...]]  # data, expiry on the clock, tags


class AsyncMemoryBackend:
    """At most `max_entries` live entries; the least recently used goes first."""

    errors: tuple[type[BaseException], ...] = ()
    server_errors: tuple[type[BaseException], ...] = ()

    def __init__(self, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1:
            raise CacheArgumentError(f"max_entries must be >= 1, got {max_entries!r}")
        self.name = f"memory(max_entries={max_entries})"
        self.max_entries = max_entries
        self.clock = clock
        self._data: OrderedDict[str, _Entry] = OrderedDict()
        self._counters: dict[str, int] = {}
        self._tags: dict[str, set[str]] = {}
        self._lock = threading.RLock()

    def __len__(self) -> int:
        with self._lock:
            now = self.clock()
            return sum(1 for _, expiry, _ in self._data.values() if expiry > now)

    # -- the store, called under the lock ---------------------------------------------------

    def _live(self, key: str) -> _Entry | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry[1] <= self.clock():
            self._remove(key)
            return None
        self._data.move_to_end(key)
        return entry

    def _remove(self, key: str) -> bool:
        entry = self._data.pop(key, None)
        if entry is None:
            return False
        for tag in entry[2]:
            members = self._tags.get(tag)
            if members is not None:
                members.discard(key)
                if not members:
                    del self._tags[tag]
        return True

    def _put(self, key: str, data: bytes, ttl_ms: int, tags: tuple[str, ...] = ()) -> None:
        self._remove(key)
        self._data[key] = (data, self.clock() + ttl_ms / 1000.0, tags)
        for tag in tags:
            self._tags.setdefault(tag, set()).add(key)
        while len(self._data) > self.max_entries:
            self._remove(next(iter(self._data)))

    def _delete(self, keys: Sequence[str]) -> int:
        return sum(1 for k in keys if self._live(k) is not None and self._remove(k))

    # -- the backend API --------------------------------------------------------------------

    async def get(self, key: str) -> bytes | None:
        """The bytes under `key`, or None."""
        with self._lock:
            entry = self._live(key)
            return None if entry is None else entry[0]

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The bytes under each key (None where missing)."""
        with self._lock:
            return [None if (e := self._live(k)) is None else e[0] for k in keys]

    async def set(self, key: str, data: bytes, ttl_ms: int) -> None:
        """Write `data` under `key` for `ttl_ms` milliseconds."""
        with self._lock:
            self._put(key, data, ttl_ms)

    async def set_many(self, items: Sequence[tuple[str, bytes, int]]) -> None:
        """Write every (key, data, ttl_ms)."""
        with self._lock:
            for key, data, ttl_ms in items:
                self._put(key, data, ttl_ms)

    async def set_tagged(self, key: str, data: bytes, ttl_ms: int, tag_keys: Sequence[str]) -> None:
        """Write `data` and remember `key` under each tag."""
        with self._lock:
            self._put(key, data, ttl_ms, tuple(tag_keys))

    async def add(self, key: str, data: bytes, ttl_ms: int) -> bool:
        """Write only if `key` is absent; True if written."""
        with self._lock:
            if self._live(key) is not None:
                return False
            self._put(key, data, ttl_ms)
            return True

    async def delete_if_equals(self, key: str, data: bytes) -> bool:
        """Delete `key` only if it holds `data`."""
        with self._lock:
            entry = self._live(key)
            return entry is not None and entry[0] == data and self._remove(key)

    async def delete(self, keys: Sequence[str]) -> int:
        """Delete keys; the number that existed."""
        with self._lock:
            return self._delete(keys)

    async def exists(self, key: str) -> bool:
        """Whether `key` holds a live entry."""
        with self._lock:
            return self._live(key) is not None

    async def pttl(self, key: str) -> int | None:
        """Milliseconds `key` has left; None if missing."""
        with self._lock:
            entry = self._live(key)
            return None if entry is None else max(0, round((entry[1] - self.clock()) * 1000))

    async def incr(self, key: str) -> int:
        """Add one to the counter under `key` (counters never expire nor get evicted)."""
        with self._lock:
            value = self._counters.get(key, 0) + 1
            self._counters[key] = value
            return value

    async def get_versioned(self, version_key: str, head: str, tail: str) -> tuple[int, bytes | None]:
        """A namespace version and the entry `head + version + tail`."""
        with self._lock:
            version = self._counters.get(version_key, 0)
            entry = self._live(f"{head}{version}{tail}")
            return version, None if entry is None else entry[0]

    async def invalidate_tags(self, tag_keys: Sequence[str]) -> int:
        """Delete every entry under the tags; the number deleted."""
        with self._lock:
            keys = {k for tag in tag_keys for k in self._tags.get(tag, ())}
            return self._delete(sorted(keys))

    async def close(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._data.clear()
            self._tags.clear()
