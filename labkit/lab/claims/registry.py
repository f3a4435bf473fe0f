"""Every claim of the seed's "Before vs After", "Performance Targets" and detail tables.

The seed's numbers below are quoted as claims, never used as measurements. Each experiment's
module in this package supplies the `evaluate` functions for the claims it measures.
"""

from __future__ import annotations

from labkit.lab.claims.base import Claim

__all__ = ["SEED_CLAIMS"]

SEED_CLAIMS: tuple[Claim, ...] = (
    # The seed's "Before vs After Metrics" table.
    Claim("api_response_time", "before_after", "API Response Time", "300ms", "120ms", "-60%", "08_api_load"),
    Claim("db_query_time", "before_after", "Database Query Time", "80ms", "32ms", "-60%", "02_n_plus_one"),
    Claim("cache_hit_rate", "before_after", "Cache Hit Rate", "0%", "85%", "+85%", "01_cache"),
    Claim("n_plus_one", "before_after", "N+1 Queries", "Common", "Eliminated", "100%", "02_n_plus_one"),
    Claim(
        "bulk_insert_1000", "before_after", "Bulk Insert (1000 records)", "10s", "1s", "10x faster", "03_bulk_writes"
    ),
    Claim("memory_usage", "before_after", "Memory Usage", "500MB", "350MB", "-30%", "07_memory"),
    Claim("concurrent_requests", "before_after", "Concurrent Requests", "50/s", "200/s", "4x increase", "08_api_load"),
    # The seed's "Performance Targets Achieved" table.
    Claim("target_api_response", "targets", "API Response Time", "goal < 200ms", "120ms", "achieved", "08_api_load"),
    Claim("target_db_query", "targets", "Database Query Time", "goal < 50ms", "32ms", "achieved", "02_n_plus_one"),
    Claim("target_cache_hit_rate", "targets", "Cache Hit Rate", "goal > 80%", "85%", "achieved", "01_cache"),
    Claim("target_concurrent_users", "targets", "Concurrent Users", "goal > 100", "200", "achieved", "08_api_load"),
    Claim("target_memory", "targets", "Memory Usage", "goal < 400MB", "350MB", "achieved", "07_memory"),
    # The seed's detailed analysis.
    Claim("cache_get", "detail", "Cache single GET", "", "0.5ms", "", "01_cache"),
    Claim("cache_set", "detail", "Cache single SET", "", "0.8ms", "", "01_cache"),
    Claim("cache_batch_get_100", "detail", "Cache batch GET (100)", "", "5ms", "", "01_cache"),
    Claim("cache_batch_set_100", "detail", "Cache batch SET (100)", "", "8ms", "", "01_cache"),
    Claim("simple_select", "detail", "Simple SELECT", "20ms", "5ms", "-75%", "02_n_plus_one"),
    Claim("join_query", "detail", "JOIN queries", "60ms", "15ms", "-75%", "02_n_plus_one"),
    Claim("bulk_operations", "detail", "Bulk operations", "", "", "90% faster", "03_bulk_writes"),
    Claim("pool_efficiency", "detail", "Connection Pool Efficiency", "", "95%", "", "04_pooling"),
    Claim("sqlite_tuning", "detail", "SQLite WAL, mmap, larger cache", "", "", "no figure given", "05_sqlite_tuning"),
    Claim("async_10_ops", "detail", "Sync vs Async (10 operations)", "100ms", "20ms", "5x", "06_async"),
    # The seed's next steps for caching, named without figures.
    Claim("redis_cluster", "detail", "Distributed caching with Redis Cluster", "", "", "next step, no figure given",
          "10_cache_cluster"),
    Claim("cache_warming", "detail", "Cache warming", "", "", "next step, no figure given", "10_cache_cluster"),
    Claim("cache_preloading", "detail", "Cache preloading", "", "", "next step, no figure given",
          "10_cache_cluster"),
    # The seed's next step for the database ("database sharding"), named without figures.
    Claim("read_replicas", "detail", "Read replicas", "", "", "next step, no figure given", "11_db_scale_out"),
    Claim("horizontal_partitioning", "detail", "Horizontal partitioning", "", "", "next step, no figure given",
          "11_db_scale_out"),
    Claim("load_balancing", "detail", "Load balancing (reads over replicas)", "", "", "next step, no figure given",
          "11_db_scale_out"),
)
