"""The public surface of labkit.db and labkit.monitor is exactly what is listed here."""

from __future__ import annotations

import labkit.db
import labkit.monitor

DB_NAMES = {
    "LEARNING_PATH_FIELDS", "SQLITE_PRAGMAS", "AsyncBaseRepository", "AsyncStudentRepository",
    "StudentRepository", "paths_from_rows", "paths_from_students", "Backend", "Base", "BaseRepository",
    "Course", "DemoData",
    "EngineProfile", "Enrollment", "OnConflict", "Profile", "Range", "Student", "async_session_factory",
    "async_unit_of_work", "bulk_insert", "bulk_insert_async", "bulk_update", "bulk_update_async",
    "create_schema", "create_schema_async", "database_url", "demo_data", "drop_schema",
    "make_async_engine", "make_engine", "read_pragmas", "session_factory", "unit_of_work",
    "write_demo_data", "write_demo_data_async",
}
MONITOR_NAMES = {
    "NPlusOne", "PoolSnapshot", "PoolStats", "QueryMonitor", "QueryScope", "SlowQueryLog",
    "StatementStats", "expect_queries", "normalize_sql", "pool_stats", "read_slow_log",
}


def test_db_public_names() -> None:
    assert set(labkit.db.__all__) == DB_NAMES
    assert all(hasattr(labkit.db, name) for name in DB_NAMES)


def test_monitor_public_names() -> None:
    assert set(labkit.monitor.__all__) == MONITOR_NAMES
    assert all(hasattr(labkit.monitor, name) for name in MONITOR_NAMES)
