"""The contract of a cache backend: bytes in, bytes out, by full key; no encoding, no policy.

A region (`Cache`, `AsyncCache`) takes any backend that meets it: Redis, memory, or your own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

__all__ = ["AsyncBackend"]


@runtime_checkable
class AsyncBackend(Protocol):
    """What a region needs from where the bytes live; failures raise one of `errors`."""

    name: str  # where the bytes live, safe to print (no password)
    errors: tuple[type[BaseException], ...]  # what its calls raise when the backend fails
    server_errors: tuple[type[BaseException], ...]  # failures the server answered (it is up)

    async def get(self, key: str) -> bytes | None:
        """The bytes under `key`, or None."""

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The bytes under each key (None where missing), in one round trip."""

    async def set(self, key: str, data: bytes, ttl_ms: int) -> None:
        """Write `data` under `key` for `ttl_ms` milliseconds."""

    async def set_many(self, items: Sequence[tuple[str, bytes, int]]) -> None:
        """Write every (key, data, ttl_ms), in one round trip."""

    async def set_tagged(self, key: str, data: bytes, ttl_ms: int, tag_keys: Sequence[str]) -> None:
        """Write `data` and add `key` to each tag set, atomically."""

    async def add(self, key: str, data: bytes, ttl_ms: int) -> bool:
        """Write only if `key` is absent (a lock); True if written."""

    async def delete_if_equals(self, key: str, data: bytes) -> bool:
        """Delete `key` only if it holds `data` (a lock released by its owner)."""

    async def delete(self, keys: Sequence[str]) -> int:
        """Delete keys; the number that existed."""

    async def exists(self, key: str) -> bool:
        """Whether `key` holds a live entry."""

    async def pttl(self, key: str) -> int | None:
        """Milliseconds `key` has left; None if missing or without expiry."""

    async def incr(self, key: str) -> int:
        """Add one to the counter under `key` (created at 0) and return it."""

    async def get_versioned(self, version_key: str, head: str, tail: str) -> tuple[int, bytes | None]:
        """A namespace version and the entry `head + version + tail`, in one round trip."""

    async def invalidate_tags(self, tag_keys: Sequence[str]) -> int:
        """Delete every entry in the tag sets, and the sets; the number of entries deleted."""

    async def close(self) -> None:
        """Release what the backend holds (connections, entries)."""
