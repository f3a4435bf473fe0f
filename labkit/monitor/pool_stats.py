"""Pool statistics: checkouts, connects, invalidations, timeouts and a histogram of checkout waits."""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import Pool

__all__ = ["PoolStats", "PoolSnapshot", "WAIT_BUCKETS_MS", "pool_stats"]

# Upper bounds (ms) of the checkout-wait histogram; the last bucket is "slower than 1 s".
WAIT_BUCKETS_MS: tuple[float, ...] = (0.1, 1.0, 10.0, 100.0, 1000.0)


@dataclass(frozen=True)
class PoolSnapshot:
    """The pool at one moment: its shape, what is in use, and counters since it was built."""

    pool_class: str
    size: int
    checked_out: int
    overflow: int
    checked_in: int
    checkouts: int
    connects: int
    invalidations: int
    timeouts: int
    wait_histogram: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain values, ready for JSON or a metrics endpoint."""
        return dict(self.__dict__)


class PoolStats:
    """Counters fed by pool events and by labkit's timed pools (checkout waits, timeouts)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.checkouts = 0
        self.connects = 0
        self.invalidations = 0
        self.timeouts = 0
        self.waits = [0] * (len(WAIT_BUCKETS_MS) + 1)

    def record_wait(self, seconds: float) -> None:
        """Count one checkout that waited `seconds` for the pool."""
        index = bisect.bisect_left(WAIT_BUCKETS_MS, seconds * 1000.0)
        with self._lock:
            self.waits[index] += 1

    def record_timeout(self) -> None:
        """Count one checkout that gave up after the pool timeout."""
        with self._lock:
            self.timeouts += 1

    def listen(self, pool: Pool) -> None:
        """Subscribe to the pool's connect, checkout and invalidate events."""
        event.listen(pool, "connect", self._on_connect)
        event.listen(pool, "checkout", self._on_checkout)
        event.listen(pool, "invalidate", self._on_invalidate)

    def _on_connect(self, *_: Any) -> None:
        with self._lock:
            self.connects += 1

    def _on_checkout(self, *_: Any) -> None:
        with self._lock:
            self.checkouts += 1

    def _on_invalidate(self, *_: Any) -> None:
        with self._lock:
            self.invalidations += 1

    def snapshot(self, pool: Pool) -> PoolSnapshot:
        """Counters plus the pool's current size, checked-out and overflow numbers."""
        size = _call(pool, "size")
        checked_out = _call(pool, "checkedout")
        labels = [f"<={b:g}ms" for b in WAIT_BUCKETS_MS] + [f">{WAIT_BUCKETS_MS[-1]:g}ms"]
        with self._lock:
            return PoolSnapshot(
                pool_class=type(pool).__name__,
                size=size,
                checked_out=checked_out,
                overflow=max(0, _call(pool, "overflow")),
                checked_in=_call(pool, "checkedin"),
                checkouts=self.checkouts,
                connects=self.connects,
                invalidations=self.invalidations,
                timeouts=self.timeouts,
                wait_histogram=dict(zip(labels, self.waits)),
            )


def _call(pool: Pool, name: str) -> int:
    method = getattr(pool, name, None)
    return int(method()) if callable(method) else 0


def pool_stats(engine: Engine | AsyncEngine) -> PoolSnapshot:
    """A snapshot of the engine's pool; counters exist once the engine came from labkit.db."""
    pool = engine.pool if isinstance(engine, Engine) else engine.sync_engine.pool
    stats: PoolStats | None = getattr(pool, "labkit_stats", None)
    if stats is None:
        stats = PoolStats()
        stats.listen(pool)
        # a pool not built by labkit.db gets the attribute labkit's own pools declare
        pool.labkit_stats = stats  # type: ignore[attr-defined]
    return stats.snapshot(pool)
