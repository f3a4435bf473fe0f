"""SQLite tuning applied on every new connection, and SAVEPOINT-safe transactions for pysqlite."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

__all__ = ["SQLITE_PRAGMAS", "tune_sqlite", "use_explicit_begin", "read_pragmas"]

# The optimized profile: WAL so readers never block the writer, NORMAL fsync (safe with WAL),
# 256 MiB memory-mapped I/O, a 64 MiB page cache, temp tables in memory, 5 s lock wait.
SQLITE_PRAGMAS: Mapping[str, Any] = {
    "journal_mode": "WAL",
    "synchronous": "NORMAL",
    "mmap_size": 268_435_456,
    "cache_size": -64_000,
    "temp_store": "MEMORY",
    "busy_timeout": 5000,
    "foreign_keys": "ON",
}


def tune_sqlite(engine: Engine, pragmas: Mapping[str, Any] = SQLITE_PRAGMAS) -> None:
    """Run `PRAGMA name=value` for each pragma on every connection the engine opens."""
    statements = [f"PRAGMA {name}={value}" for name, value in pragmas.items()]

    @event.listens_for(engine, "connect")
    def _apply(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        for statement in statements:
            cursor.execute(statement)
        cursor.close()


def use_explicit_begin(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 module, emit BEGIN, so SAVEPOINT and rollback are exact.

    The stdlib driver begins transactions lazily and its own way; the SQLAlchemy docs'
    recipe turns that off and emits BEGIN when the Connection begins.
    """

    @event.listens_for(engine, "connect")
    def _autocommit_driver(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # sqlite3's connection or aiosqlite's adapter of it: both have `isolation_level`
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # on the driver cursor, like psycopg's implicit BEGIN: not a statement monitors count
        cursor = connection.connection.cursor()
        cursor.execute("BEGIN")
        cursor.close()


def read_pragmas(connection: Connection, names: list[str] | None = None) -> dict[str, Any]:
    """The current value of each pragma on this connection (default: the tuned ones)."""
    out: dict[str, Any] = {}
    for name in names or list(SQLITE_PRAGMAS):
        out[name] = connection.exec_driver_sql(f"PRAGMA {name}").scalar()
    return out
