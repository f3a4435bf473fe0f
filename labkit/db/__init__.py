"""The data layer: engines and pools, SQLite tuning, the demo domain, repositories, bulk writes."""

from labkit.db.bulk import (
    LoadedObjects,
    OnConflict,
    bulk_insert,
    bulk_insert_async,
    bulk_update,
    bulk_update_async,
)
from labkit.db.demo_data import DemoData, demo_data, write_demo_data, write_demo_data_async
from labkit.db.engines import Backend, EngineProfile, database_url, make_async_engine, make_engine
from labkit.db.learning_paths import (
    LEARNING_PATH_FIELDS,
    AsyncStudentRepository,
    StudentRepository,
    paths_from_rows,
    paths_from_students,
)
from labkit.db.models import (
    Activity,
    Base,
    Course,
    Enrollment,
    Profile,
    Student,
    create_schema,
    create_schema_async,
    drop_schema,
)
from labkit.db.queries import Range
from labkit.db.repository import AsyncBaseRepository, BaseRepository
from labkit.db.sessions import async_session_factory, async_unit_of_work, session_factory, unit_of_work
from labkit.db.sqlite import SQLITE_PRAGMAS, read_pragmas

__all__ = [
    "Activity",
    "LEARNING_PATH_FIELDS",
    "SQLITE_PRAGMAS",
    "AsyncStudentRepository",
    "StudentRepository",
    "paths_from_rows",
    "paths_from_students",
    "AsyncBaseRepository",
    "Backend",
    "Base",
    "BaseRepository",
    "Course",
    "DemoData",
    "EngineProfile",
    "Enrollment",
    "LoadedObjects",
    "OnConflict",
    "Profile",
    "Range",
    "Student",
    "async_session_factory",
    "async_unit_of_work",
    "bulk_insert",
    "bulk_insert_async",
    "bulk_update",
    "bulk_update_async",
    "create_schema",
    "create_schema_async",
    "database_url",
    "demo_data",
    "drop_schema",
    "make_async_engine",
    "make_engine",
    "read_pragmas",
    "session_factory",
    "unit_of_work",
    "write_demo_data",
    "write_demo_data_async",
]
