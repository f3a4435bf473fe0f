"""Watching the data layer: statement stats, slow-query log, N+1 detection, pool statistics."""

from labkit.errors import NPlusOneDetected, QueryCountExceeded
from labkit.monitor.normalize import normalize_sql
from labkit.monitor.pool_stats import PoolSnapshot, PoolStats, pool_stats
from labkit.monitor.query_monitor import QueryMonitor, StatementStats, expect_queries
from labkit.monitor.scopes import NPlusOneFinding, QueryScope
from labkit.monitor.slow_log import SlowQueryLog, read_slow_log

__all__ = [
    "NPlusOneDetected",
    "NPlusOneFinding",
    "PoolSnapshot",
    "PoolStats",
    "QueryCountExceeded",
    "QueryMonitor",
    "QueryScope",
    "SlowQueryLog",
    "StatementStats",
    "expect_queries",
    "normalize_sql",
    "pool_stats",
    "read_slow_log",
]
