"""The demo learning platform the lab measures: models, seeded data, learning-path queries."""

from labkit.lab.demo.data import DemoData, demo_data, write_demo_data, write_demo_data_async
from labkit.lab.demo.learning_paths import (
    LEARNING_PATH_FIELDS,
    AsyncStudentRepository,
    StudentRepository,
    paths_from_rows,
    paths_from_students,
)
from labkit.lab.demo.models import (
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

__all__ = [
    "LEARNING_PATH_FIELDS",
    "Activity",
    "AsyncStudentRepository",
    "Base",
    "Course",
    "DemoData",
    "Enrollment",
    "Profile",
    "Student",
    "StudentRepository",
    "create_schema",
    "create_schema_async",
    "demo_data",
    "drop_schema",
    "paths_from_rows",
    "paths_from_students",
    "write_demo_data",
    "write_demo_data_async",
]
