"""Connection pools that time every checkout and turn a pool timeout into `PoolExhausted`."""

from __future__ import annotations

import time
from typing import Any, TypeVar, cast

from sqlalchemy import exc
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry, NullPool, Pool, QueuePool

from labkit.errors import PoolExhausted
from labkit.monitor.pool_stats import PoolStats

__all__ = ["TimedQueuePool", "TimedAsyncQueuePool", "TimedNullPool", "stats_of"]

_P = TypeVar("_P", bound="_Timed")


class _Timed(Pool):
    """Base of labkit's pools: keeps a `PoolStats` across `recreate()` and times `_do_get`.

    Put first among the bases (`class TimedQueuePool(_Timed, QueuePool)`), so `super()` here
    reaches the concrete pool's own `__init__`, `_do_get` and `recreate`.
    """

    labkit_stats: PoolStats
    _timeout: float

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.labkit_stats = PoolStats()
        if "_dispatch" not in kw:  # recreate() hands over the listeners, and we the stats
            self.labkit_stats.listen(self)

    def _do_get(self) -> ConnectionPoolEntry:
        start = time.perf_counter()
        try:
            entry = super()._do_get()
        except exc.TimeoutError as error:
            self.labkit_stats.record_timeout()
            raise PoolExhausted(
                f"no database connection became free within {self._timeout:g} s "
                f"(DATABASE_POOL_TIMEOUT); pool status: {self.status()}"
            ) from error
        self.labkit_stats.record_wait(time.perf_counter() - start)
        return entry

    def recreate(self: _P) -> _P:
        # every SQLAlchemy pool recreates as `self.__class__(...)`; its stubs say only `Pool`
        new = cast(_P, super().recreate())
        new.labkit_stats = self.labkit_stats
        return new


class TimedQueuePool(_Timed, QueuePool):
    """QueuePool with checkout-wait histogram, timeout counter and a labkit timeout error."""


class TimedAsyncQueuePool(_Timed, AsyncAdaptedQueuePool):
    """The asyncio flavour of `TimedQueuePool`, for async engines."""


class TimedNullPool(_Timed, NullPool):
    """No pooling (a connection per checkout), still counted: the baseline profile's pool."""

    _timeout = 0.0


def stats_of(pool: Pool) -> PoolStats | None:
    """The `PoolStats` of a labkit pool, or None for any other pool."""
    stats = getattr(pool, "labkit_stats", None)  # also on other pools that `pool_stats()` counted
    return stats if isinstance(stats, PoolStats) else None
