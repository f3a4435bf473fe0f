"""The data layer: engines and pools, sessions, read routing to replicas, repositories, queries, bulk writes,
SQLite tuning."""

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
from labkit.db.replicas import ReplicaRouter, ReplicaStatus
from labkit.db.repository import AsyncBaseRepository, BaseRepository
from labkit.db.routing import RoutingSession, async_routing_session_factory, routing_session_factory
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
    "ReplicaRouter",
    "ReplicaStatus",
    "RoutingSession",
    "async_routing_session_factory",
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
    "routing_session_factory",
    "session_factory",
    "unit_of_work",
]
