"""The service's metrics: the seed's `/api/v1/metrics` JSON and the same numbers as Prometheus text.

Only counters and timings leave here: never a URL, a password, a cache key or a cached value.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

import psutil

from labkit.lab.app.failures import KINDS
from labkit.lab.app.stats import RequestStats
from labkit.monitor import QueryMonitor, pool_stats

__all__ = ["CacheWindow", "metrics_json", "prometheus_text", "BREAKER_STATES"]

BREAKER_STATES = ("closed", "half-open", "open")


class _Service(Protocol):
    cache: Any
    engine: Any


def _percent(hits: int, lookups: int) -> float | None:
    return None if not lookups else round(100.0 * hits / lookups, 2)


class CacheWindow:
    """The cache's hit rate over the last `window_s` seconds, from counter snapshots taken each second.

    A lookup that bypassed the cache (Redis failed, breaker open) counts as a lookup without a hit, so
    during an outage the rate falls to 0 instead of repeating what it was before.
    """

    def __init__(self, window_s: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self.clock = clock
        self._snapshots: deque[tuple[float, int, int]] = deque()  # (time, hits, lookups)

    def sample(self, hits: int, lookups: int) -> None:
        """Keep the counters as they are now (at most one snapshot per second; older than the window dropped)."""
        now = self.clock()
        if not self._snapshots or now - self._snapshots[-1][0] >= 1.0:
            self._snapshots.append((now, hits, lookups))
        while len(self._snapshots) > 1 and self._snapshots[1][0] <= now - self.window_s:
            self._snapshots.popleft()

    def hit_rate(self, hits: int, lookups: int) -> float | None:
        """Percent of the lookups since the oldest snapshot in the window that hit; None when there were none."""
        self.sample(hits, lookups)
        _, hits0, lookups0 = self._snapshots[0]
        return _percent(hits - hits0, lookups - lookups0)


def _cache_part(service: _Service, window: CacheWindow | None) -> dict[str, Any]:
    if service.cache is None:
        return {"enabled": False, "hit_rate": None, "hit_rate_total": None, "total_requests": 0,
                "avg_response_time": None, "hits": 0, "misses": 0, "errors": 0, "lookups_bypassed": 0,
                "breaker": None, "breaker_opens": 0, "breaker_closes": 0}
    m = service.cache.metrics()
    hits, bypassed = int(m["hits"]), int(m["lookups_bypassed"])
    lookups = hits + int(m["misses"]) + bypassed
    get = m["latency"].get("get", {})
    mean_ms = get.get("mean_ms")
    recent = window.hit_rate(hits, lookups) if window is not None else _percent(hits, lookups)
    return {"enabled": True, "hit_rate": recent, "hit_rate_total": _percent(hits, lookups),
            "window_s": window.window_s if window is not None else None,
            "total_requests": lookups, "avg_response_time": None if mean_ms is None else mean_ms / 1e3,
            "hits": hits, "misses": int(m["misses"]), "errors": int(m["errors"]), "lookups_bypassed": bypassed,
            "breaker": m["breaker"], "breaker_opens": int(m["breaker_opens"]),
            "breaker_closes": int(m["breaker_closes"])}


def _database_part(service: _Service, monitor: QueryMonitor, errors: dict[str, int]) -> dict[str, Any]:
    pool = pool_stats(service.engine)
    stats = monitor.stats()
    count = sum(s.count for s in stats)
    total_s = sum(s.total_s for s in stats)
    return {"pool_size": pool.size, "active_connections": pool.checked_out, "pool_overflow": pool.overflow,
            "pool_class": pool.pool_class, "connects": pool.connects, "pool_timeouts": pool.timeouts,
            "query_count": count, "avg_query_time": total_s / count if count else None,
            "errors": {kind: int(errors.get(kind, 0)) for kind in KINDS}}


def metrics_json(mode: str, service: _Service, monitor: QueryMonitor, requests: RequestStats,
                 window: CacheWindow | None = None, db_errors: dict[str, int] | None = None) -> dict[str, Any]:
    """{cache, database, performance} as the seed shows them, plus the mode and the server's memory.

    `cache.hit_rate` covers the last `window` seconds (all time without one); `database.errors` counts failed
    requests by kind.
    """
    snap = requests.snapshot()
    return {
        "mode": mode,
        "cache": _cache_part(service, window),
        "database": _database_part(service, monitor, db_errors or {}),
        "performance": {"api_response_time": snap["mean_s"], "requests_per_second": snap["requests_per_second"],
                        "requests_total": snap["requests"], "errors": snap["errors"], "p50": snap["p50_s"],
                        "p95": snap["p95_s"], "p99": snap["p99_s"], "by_status": snap["by_status"]},
        "process": {"rss_bytes": psutil.Process().memory_info().rss},
    }


def _line(name: str, value: Any, labels: dict[str, str]) -> str:
    rendered = ",".join(f'{k}="{v}"' for k, v in labels.items())
    number = "NaN" if value is None else (f"{value:.9g}" if isinstance(value, float) else str(int(value)))
    return f"{name}{{{rendered}}} {number}"


def prometheus_text(payload: dict[str, Any]) -> str:
    """Prometheus text exposition (version 0.0.4) of a `metrics_json` payload."""
    mode = {"mode": str(payload["mode"])}
    perf, cache, db = payload["performance"], payload["cache"], payload["database"]
    families: list[tuple[str, str, str, list[tuple[dict[str, str], Any]]]] = [
        ("labkit_http_requests_total", "counter", "Requests served (metrics endpoints excluded).",
         [(mode, perf["requests_total"])]),
        ("labkit_http_responses_total", "counter", "Responses by status code.",
         [({**mode, "status": s}, n) for s, n in perf["by_status"].items()]),
        ("labkit_http_request_duration_seconds", "summary", "Request latency, from a log-bucketed histogram.",
         [({**mode, "quantile": q}, perf[k]) for q, k in (("0.5", "p50"), ("0.95", "p95"), ("0.99", "p99"))]),
        ("labkit_http_requests_per_second", "gauge", "Requests finished per second, sliding window.",
         [(mode, float(perf["requests_per_second"]))]),
        ("labkit_cache_hits_total", "counter", "Cache lookups that found an entry.", [(mode, cache["hits"])]),
        ("labkit_cache_misses_total", "counter", "Cache lookups that found nothing.", [(mode, cache["misses"])]),
        ("labkit_cache_errors_total", "counter", "Cache calls that failed (fail-open).", [(mode, cache["errors"])]),
        ("labkit_cache_lookups_bypassed_total", "counter",
         "Lookups that did not reach the cache (it failed or its breaker was open): computed without it.",
         [(mode, cache["lookups_bypassed"])]),
        ("labkit_cache_hit_ratio", "gauge", "Share of recent lookups that hit (bypassed lookups count as misses).",
         [(mode, None if cache["hit_rate"] is None else cache["hit_rate"] / 100.0)]),
        ("labkit_cache_breaker_state", "gauge", "1 for the circuit breaker's current state.",
         [({**mode, "state": st}, int(cache["breaker"] == st)) for st in BREAKER_STATES] if cache["enabled"] else []),
        ("labkit_cache_breaker_transitions_total", "counter", "Times the circuit breaker opened or closed.",
         [({**mode, "to": "open"}, cache["breaker_opens"]), ({**mode, "to": "closed"}, cache["breaker_closes"])]),
        ("labkit_db_errors_total", "counter", "Requests failed by the database, by kind.",
         [({**mode, "kind": k}, n) for k, n in db["errors"].items()]),
        ("labkit_db_queries_total", "counter", "SQL statements executed.", [(mode, db["query_count"])]),
        ("labkit_db_pool_size", "gauge", "Connections the pool keeps.", [(mode, db["pool_size"])]),
        ("labkit_db_pool_checked_out", "gauge", "Connections in use.", [(mode, db["active_connections"])]),
        ("labkit_db_connects_total", "counter", "Connections opened to PostgreSQL.", [(mode, db["connects"])]),
        ("process_resident_memory_bytes", "gauge", "Resident memory of the server.",
         [({}, payload["process"]["rss_bytes"])]),
    ]
    lines: list[str] = []
    for name, kind, doc, samples in families:
        lines += [f"# HELP {name} {doc}", f"# TYPE {name} {kind}"]
        lines += [_line(name, value, labels) if labels else f"{name} {int(value)}" for labels, value in samples]
    return "\n".join(lines) + "\n"
