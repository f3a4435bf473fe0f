"""The data layer: engines and pools, sessions, repositories, queries, bulk writes, SQLite tuning."""

from labkit.db.bulk import (
    LoadedObjects,
    OnConflict,
    bulk_insert,
    bulk_insert_async,
    bulk_update,
    bulk_update_async,
)
from labkit.db.engines import Backend, EngineProfile, database_url, make_async_engine, make_engine
from labkit.db.queries import Range
from labkit.db.repository import AsyncBaseRepository, BaseRepository
from labkit.db.sessions import async_session_factory, async_unit_of_work, session_factory, unit_of_work
from labkit.db.sqlite import SQLITE_PRAGMAS, read_pragmas

__all__ = [
    "SQLITE_PRAGMAS",
    "AsyncBaseRepository",
    "Backend",
    "BaseRepository",
    "EngineProfile",
    "LoadedObjects",
    "OnConflict",
    "Range",
    "async_session_factory",
    "async_unit_of_work",
    "bulk_insert",
    "bulk_insert_async",
    "bulk_update",
    "bulk_update_async",
    "database_url",
    "make_async_engine",
    "make_engine",
    "read_pragmas",
    "session_factory",
    "unit_of_work",
]
