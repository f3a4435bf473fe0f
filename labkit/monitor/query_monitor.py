"""QueryMonitor: counts and times every statement of the engines it watches, by normalized SQL.

It also writes the slow-query log, finds N+1 patterns inside scopes and enforces query
budgets (`expect_queries`). Attach it to sync or async engines; detach when done.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from labkit.errors import MonitorArgumentError
from labkit.monitor.callsite import call_site
from labkit.monitor.hooks import StatementContext, unwatch, watch
from labkit.monitor.normalize import is_select, normalize_sql
from labkit.monitor.pool_stats import PoolSnapshot, pool_stats
from labkit.monitor.scopes import QueryScope
from labkit.monitor.slow_log import SlowQueryLog
from labkit.secrets import mask_url
from labkit.settings import Settings

__all__ = ["QueryMonitor", "StatementStats", "expect_queries"]

log = logging.getLogger("labkit.monitor")


@dataclass
class StatementStats:
    """Count and timing of one normalized statement."""

    normalized: str
    count: int = 0
    total_s: float = 0.0
    min_s: float = float("inf")
    max_s: float = 0.0

    @property
    def mean_s(self) -> float:
        return self.total_s / self.count if self.count else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"statement": self.normalized, "count": self.count, "total_ms": self.total_s * 1e3,
                "mean_ms": self.mean_s * 1e3, "min_ms": self.min_s * 1e3, "max_ms": self.max_s * 1e3}


class QueryMonitor:
    """Watches engines: per-statement stats, slow-query log, N+1 scopes and query budgets."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        slow_query_ms: float | None = None,
        slow_log_path: str | Path | None = None,
        n_plus_one_threshold: int = 10,
        raise_on_n_plus_one: bool = False,
    ) -> None:
        settings = settings or Settings.from_env()
        if n_plus_one_threshold < 2:
            raise MonitorArgumentError(
                f"n_plus_one_threshold={n_plus_one_threshold!r} is not valid: expected an integer >= 2"
            )
        self.slow_log = SlowQueryLog(
            slow_log_path or Path(settings.log_dir) / "slow_queries.log",
            settings.slow_query_ms if slow_query_ms is None else slow_query_ms,
        )
        self.n_plus_one_threshold = n_plus_one_threshold
        self.raise_on_n_plus_one = raise_on_n_plus_one
        self.n_plus_one_reports: list[tuple[str, str]] = []
        self._stats: dict[str, StatementStats] = {}
        self._lock = threading.Lock()
        self._engines: list[Engine] = []
        self._scopes: ContextVar[tuple[QueryScope, ...]] = ContextVar(f"labkit_scopes_{id(self)}", default=())

    # --- engines -----------------------------------------------------------------------

    def attach(self, engine: Engine | AsyncEngine) -> QueryMonitor:
        """Start watching `engine` (sync or async); returns the monitor for chaining."""
        sync = _sync(engine)
        if sync in self._engines:
            return self
        watch(sync, self)
        pool_stats(sync)  # make sure the pool is counted from now on
        self._engines.append(sync)
        return self

    def detach(self, engine: Engine | AsyncEngine) -> None:
        """Stop watching `engine`."""
        sync = _sync(engine)
        if sync in self._engines:
            unwatch(sync, self)
            self._engines.remove(sync)

    def detach_all(self) -> None:
        """Stop watching every engine."""
        for engine in list(self._engines):
            self.detach(engine)

    # --- events ------------------------------------------------------------------------

    def record(self, statement: str, parameters: Any, executemany: bool, seconds: float,
               context: StatementContext) -> None:
        """Count and time one statement, feed the open scopes, log it if slow (called by the hook)."""
        normalized = normalize_sql(statement)
        with self._lock:
            stats = self._stats.get(normalized)
            if stats is None:
                stats = self._stats[normalized] = StatementStats(normalized)
            stats.count += 1
            stats.total_s += seconds
            if seconds < stats.min_s:
                stats.min_s = seconds
            if seconds > stats.max_s:
                stats.max_s = seconds
        scopes = self._scopes.get()
        if scopes:
            select = is_select(normalized)
            for scope in scopes:
                scope.record(statement, normalized, seconds, select, call_site)
        if self.slow_log.is_slow(seconds):
            self.slow_log.write(
                seconds=seconds, statement=statement, normalized=normalized, call_site=call_site(),
                parameters=parameters, executemany=executemany,
                database=mask_url(context.root_connection.engine.url.render_as_string(hide_password=True)),
            )

    # --- results -----------------------------------------------------------------------

    @property
    def total_count(self) -> int:
        """Statements seen since the monitor was made (or reset)."""
        with self._lock:
            return sum(s.count for s in self._stats.values())

    def stats(self) -> list[StatementStats]:
        """Per normalized statement, the most total time first."""
        with self._lock:
            return sorted((StatementStats(**vars(s)) for s in self._stats.values()), key=lambda s: -s.total_s)

    def reset(self) -> None:
        """Forget the statement statistics (the slow-query log file stays)."""
        with self._lock:
            self._stats.clear()

    def pool_stats(self) -> list[PoolSnapshot]:
        """A pool snapshot of every attached engine."""
        return [pool_stats(engine) for engine in self._engines]

    def report(self, top: int = 10) -> dict[str, Any]:
        """Plain data for a metrics endpoint: totals, the top statements, the pools."""
        stats = self.stats()
        return {
            "query_count": sum(s.count for s in stats),
            "total_ms": sum(s.total_s for s in stats) * 1e3,
            "top": [s.as_dict() for s in stats[:top]],
            "slow_queries_logged": self.slow_log.written,
            "n_plus_one_reports": len(self.n_plus_one_reports),
            "pools": [p.as_dict() for p in self.pool_stats()],
        }

    # --- scopes ------------------------------------------------------------------------

    @contextmanager
    def scope(self, name: str = "scope", *, raise_on_n_plus_one: bool | None = None,
              max_queries: int | None = None) -> Iterator[QueryScope]:
        """Collect the statements of a block (a request); N+1 findings are logged or raised."""
        scope = QueryScope(
            name=name,
            n_plus_one_threshold=self.n_plus_one_threshold,
            raise_on_n_plus_one=self.raise_on_n_plus_one if raise_on_n_plus_one is None else raise_on_n_plus_one,
            max_queries=max_queries,
        )
        token = self._scopes.set(self._scopes.get() + (scope,))
        try:
            yield scope
        finally:
            self._scopes.reset(token)
        for finding in scope.n_plus_one:
            self.n_plus_one_reports.append((name, finding.describe()))
            log.warning("N+1 in %s: %s", name, finding.describe())
        scope.check()

    @contextmanager
    def expect_queries(self, max: int, name: str = "expect_queries") -> Iterator[QueryScope]:  # noqa: A002
        """Fail with the statements seen when the block runs more than `max` of them."""
        with self.scope(name, raise_on_n_plus_one=False, max_queries=max) as scope:
            yield scope


@contextmanager
def expect_queries(engine: Engine | AsyncEngine, max: int) -> Iterator[QueryScope]:  # noqa: A002
    """Watch `engine` for one block and fail if it runs more than `max` statements."""
    monitor = QueryMonitor(slow_query_ms=float("inf"))
    monitor.attach(engine)
    try:
        with monitor.expect_queries(max) as scope:
            yield scope
    finally:
        monitor.detach(engine)


def _sync(engine: Engine | AsyncEngine) -> Engine:
    return engine.sync_engine if isinstance(engine, AsyncEngine) else engine
