"""Connection pools that time every checkout and turn a pool timeout into `PoolExhausted`."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import exc
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry, NullPool, Pool, QueuePool

from labkit.errors import PoolExhausted
from labkit.monitor.pool_stats import PoolStats

__all__ = ["TimedQueuePool", "TimedAsyncQueuePool", "TimedNullPool", "stats_of"]


class _Timed:
    """Mixin: keeps a `PoolStats` across `recreate()` and times `_do_get`."""

    labkit_stats: PoolStats

    def _labkit_init(self, kw: dict[str, Any]) -> None:
        self.labkit_stats = PoolStats()
        if "_dispatch" not in kw:  # recreate() hands over the listeners, and we the stats
            self.labkit_stats.listen(self)  # type: ignore[arg-type]

    def _timed_get(self, get: Any) -> ConnectionPoolEntry:
        start = time.perf_counter()
        try:
            entry = get()
        except exc.TimeoutError as error:
            self.labkit_stats.record_timeout()
            raise PoolExhausted(
                f"no database connection became free within {self._timeout:g} s "  # type: ignore[attr-defined]
                f"(DATABASE_POOL_TIMEOUT); pool status: {self.status()}"  # type: ignore[attr-defined]
            ) from error
        self.labkit_stats.record_wait(time.perf_counter() - start)
        return entry  # type: ignore[no-any-return]

    def recreate(self) -> Pool:
        new = super().recreate()  # type: ignore[misc]
        new.labkit_stats = self.labkit_stats
        return new  # type: ignore[no-any-return]


class TimedQueuePool(_Timed, QueuePool):  # type: ignore[misc]
    """QueuePool with checkout-wait histogram, timeout counter and a labkit timeout error."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._labkit_init(kw)

    def _do_get(self) -> ConnectionPoolEntry:
        return self._timed_get(super()._do_get)


class TimedAsyncQueuePool(_Timed, AsyncAdaptedQueuePool):  # type: ignore[misc]
    """The asyncio flavour of `TimedQueuePool`, for async engines."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._labkit_init(kw)

    def _do_get(self) -> ConnectionPoolEntry:
        return self._timed_get(super()._do_get)


class TimedNullPool(_Timed, NullPool):  # type: ignore[misc]
    """No pooling (a connection per checkout), still counted: the baseline profile's pool."""

    _timeout = 0.0

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._labkit_init(kw)

    def _do_get(self) -> ConnectionPoolEntry:
        return self._timed_get(super()._do_get)


def stats_of(pool: Pool) -> PoolStats | None:
    """The `PoolStats` of a labkit pool, or None for any other pool."""
    return getattr(pool, "labkit_stats", None)
