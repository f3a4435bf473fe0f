"""The service's metrics: the seed's `/api/v1/metrics` JSON and the same numbers as Prometheus text.

Only counters and timings leave here: never a URL, a password, a cache key or a cached value.
"""

from __future__ import annotations

from typing import Any, Protocol

import psutil

from labkit.lab.app.stats import RequestStats
from labkit.monitor import QueryMonitor, pool_stats

__all__ = ["metrics_json", "prometheus_text"]


class _Service(Protocol):
    cache: Any
    engine: Any


def _cache_part(service: _Service) -> dict[str, Any]:
    if service.cache is None:
        return {"enabled": False, "hit_rate": None, "total_requests": 0, "avg_response_time": None,
                "hits": 0, "misses": 0, "errors": 0}
    m = service.cache.metrics()
    lookups = int(m["hits"]) + int(m["misses"])
    get = m["latency"].get("get", {})
    mean_ms = get.get("mean_ms")
    return {"enabled": True, "hit_rate": None if not lookups else round(100.0 * m["hits"] / lookups, 2),
            "total_requests": lookups, "avg_response_time": None if mean_ms is None else mean_ms / 1e3,
            "hits": int(m["hits"]), "misses": int(m["misses"]), "errors": int(m["errors"])}


def _database_part(service: _Service, monitor: QueryMonitor) -> dict[str, Any]:
    pool = pool_stats(service.engine)
    stats = monitor.stats()
    count = sum(s.count for s in stats)
    total_s = sum(s.total_s for s in stats)
    return {"pool_size": pool.size, "active_connections": pool.checked_out, "pool_overflow": pool.overflow,
            "pool_class": pool.pool_class, "connects": pool.connects, "pool_timeouts": pool.timeouts,
            "query_count": count, "avg_query_time": total_s / count if count else None}


def metrics_json(mode: str, service: _Service, monitor: QueryMonitor, requests: RequestStats) -> dict[str, Any]:
    """{cache, database, performance} as the seed shows them, plus the mode and the server's memory."""
    snap = requests.snapshot()
    return {
        "mode": mode,
        "cache": _cache_part(service),
        "database": _database_part(service, monitor),
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
