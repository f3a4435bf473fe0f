"""The seed's four cache operations as timed cases: GET, SET, and GET/SET of a batch of 100.

Beside each batch call sits the same work done one key at a time (100 GETs, 100 SETs), which
is what a batch replaces. Cases work on any `Cache` (sync) or `AsyncCache` (coroutines), on
keys the builder writes first, so every GET is a hit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from labkit.cache import AsyncCache, Cache
from labkit.lab.experiments.cache.payloads import RECORD, user_record

__all__ = ["OPERATIONS", "operation_cases", "async_operation_cases"]

# case name -> label; "{n}" is the batch size
OPERATIONS: dict[str, str] = {
    "get": "GET one record",
    "set": "SET one record",
    "get_many": "batch GET of {n} (get_many)",
    "set_many": "batch SET of {n} (set_many)",
    "get_loop": "{n} × GET, one by one",
    "set_loop": "{n} × SET, one by one",
}


def _names(batch: int) -> tuple[str, list[str], dict[str, Any]]:
    names = [f"op:batch:{i}" for i in range(batch)]
    return "op:single", names, {n: user_record(i) for i, n in enumerate(names)}


def _label(cases: dict[str, Any], batch: int) -> dict[str, Any]:
    for name, fn in cases.items():
        fn.__doc__ = OPERATIONS[name].format(n=batch)
    return cases


def operation_cases(cache: Cache, *, batch: int = 100, ttl: float = 300) -> dict[str, Callable[[], Any]]:
    """Zero-argument cases of each operation on `cache` (keys written first, so GETs hit)."""
    single, names, mapping = _names(batch)
    cache.set(single, RECORD, ttl)
    cache.set_many(mapping, ttl)

    def get() -> Any:
        return cache.get(single)

    def set_() -> None:
        cache.set(single, RECORD, ttl)

    def get_many() -> Any:
        return cache.get_many(names)

    def set_many() -> None:
        cache.set_many(mapping, ttl)

    def get_loop() -> Any:
        return [cache.get(n) for n in names]

    def set_loop() -> None:
        for n, v in mapping.items():
            cache.set(n, v, ttl)

    return _label({"get": get, "set": set_, "get_many": get_many, "set_many": set_many,
                   "get_loop": get_loop, "set_loop": set_loop}, batch)


async def async_operation_cases(
    cache: AsyncCache, *, batch: int = 100, ttl: float = 300
) -> dict[str, Callable[[], Awaitable[Any]]]:
    """`operation_cases` for an `AsyncCache`: coroutine functions, awaited one at a time."""
    single, names, mapping = _names(batch)
    await cache.set(single, RECORD, ttl)
    await cache.set_many(mapping, ttl)

    async def get() -> Any:
        return await cache.get(single)

    async def set_() -> None:
        await cache.set(single, RECORD, ttl)

    async def get_many() -> Any:
        return await cache.get_many(names)

    async def set_many() -> None:
        await cache.set_many(mapping, ttl)

    async def get_loop() -> Any:
        return [await cache.get(n) for n in names]

    async def set_loop() -> None:
        for n, v in mapping.items():
            await cache.set(n, v, ttl)

    return _label({"get": get, "set": set_, "get_many": get_many, "set_many": set_many,
                   "get_loop": get_loop, "set_loop": set_loop}, batch)
