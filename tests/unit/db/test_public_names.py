"""The public surface of labkit.db and labkit.monitor is exactly what is listed here."""

from __future__ import annotations

import labkit.db
import labkit.monitor

DB_NAMES = {
    "SQLITE_PRAGMAS", "AsyncBaseRepository", "Backend", "BaseRepository", "LoadedObjects", "EngineProfile",
    "OnConflict", "Range", "ReplicaRouter", "ReplicaStatus", "RoutingSession", "async_routing_session_factory",
    "routing_session_factory", "async_session_factory", "async_unit_of_work", "bulk_insert", "bulk_insert_async",
    "bulk_update", "bulk_update_async", "database_url", "make_async_engine", "make_engine", "read_pragmas",
    "session_factory", "unit_of_work",
}
MONITOR_NAMES = {
    "NPlusOneDetected", "NPlusOneFinding", "PoolSnapshot", "QueryCountExceeded",
    "PoolStats", "QueryMonitor", "QueryScope", "SlowQueryLog",
    "StatementStats", "expect_queries", "normalize_sql", "pool_stats", "read_slow_log",
}


def test_db_public_names() -> None:
    assert set(labkit.db.__all__) == DB_NAMES
    assert all(hasattr(labkit.db, name) for name in DB_NAMES)


def test_monitor_public_names() -> None:
    assert set(labkit.monitor.__all__) == MONITOR_NAMES
    assert all(hasattr(labkit.monitor, name) for name in MONITOR_NAMES)


def test_importing_the_data_layer_builds_no_engine() -> None:
    import subprocess
    import sys

    code = ("import gc, labkit.db, labkit.monitor\n"
            "from sqlalchemy.engine import Engine\n"
            "from sqlalchemy.pool import Pool\n"
            "print(sum(isinstance(o, (Engine, Pool)) for o in gc.get_objects()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
