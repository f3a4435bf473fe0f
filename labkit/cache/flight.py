"""Single-flight: concurrent misses on one key within a process run the computation once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["SingleFlight", "AsyncSingleFlight"]


class _Call:
    __slots__ = ("done", "value", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class SingleFlight:
    """Threads asking for the same key while one computes it wait and share its result."""

    def __init__(self) -> None:
        self._calls: dict[str, _Call] = {}
        self._lock = threading.Lock()

    def run(self, key: str, compute: Callable[[], Any]) -> Any:
        """`compute()` once per key at a time; followers get the leader's value or exception."""
        with self._lock:
            call = self._calls.get(key)
            leader = call is None
            if leader:
                call = self._calls[key] = _Call()
        assert call is not None
        if not leader:
            call.done.wait()
            if call.error is not None:
                raise call.error
            return call.value
        try:
            call.value = compute()
        except BaseException as exc:
            call.error = exc
            raise
        finally:
            with self._lock:
                del self._calls[key]
            call.done.set()
        return call.value

    def __len__(self) -> int:
        return len(self._calls)


class AsyncSingleFlight:
    """Tasks asking for the same key while one computes it await the leader's result."""

    def __init__(self) -> None:
        self._calls: dict[str, asyncio.Future[Any]] = {}

    async def run(self, key: str, compute: Callable[[], Awaitable[Any]]) -> Any:
        """`await compute()` once per key at a time; a cancelled leader lets followers retry."""
        while True:
            future = self._calls.get(key)
            if future is None:
                break
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                if not future.cancelled():
                    raise  # this follower itself was cancelled
        future = asyncio.get_running_loop().create_future()
        self._calls[key] = future
        try:
            value = await compute()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: followers may not exist
            raise
        finally:
            if self._calls.get(key) is future:
                del self._calls[key]
        future.set_result(value)
        return value

    def __len__(self) -> int:
        return len(self._calls)
