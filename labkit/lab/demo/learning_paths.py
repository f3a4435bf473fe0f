"""What a learning-path endpoint reads: a student, their level, their courses with progress.

Two paths to the same answer, to compare: objects eager-loaded by `find_all`, or plain rows
from one join (`rows`), shaped into the same JSON-ready dicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row

from labkit.db.queries import Filters
from labkit.db.repository import AsyncBaseRepository, BaseRepository
from labkit.lab.demo.models import Student

__all__ = ["LEARNING_PATH_FIELDS", "StudentRepository", "AsyncStudentRepository", "paths_from_rows",
           "paths_from_students"]

LEARNING_PATH_FIELDS: tuple[str, ...] = (
    "id", "name", "profile.level", "enrollments.progress", "enrollments.completed",
    "enrollments.course.id", "enrollments.course.title", "enrollments.course.difficulty",
    "enrollments.course.prerequisite_id",
)
_ORDER = ["id", "enrollments.course.id"]
_LOADS = ["profile", "enrollments.course"]


def _course(course: Any, progress: float, completed: bool) -> dict[str, Any]:
    return {"course_id": course.id, "title": course.title, "difficulty": course.difficulty,
            "prerequisite_id": course.prerequisite_id, "progress": progress, "completed": completed}


def paths_from_students(students: Iterable[Student]) -> list[dict[str, Any]]:
    """JSON-ready learning paths from eager-loaded students (courses by id)."""
    out = []
    for student in students:
        courses = sorted((_course(e.course, e.progress, e.completed) for e in student.enrollments),
                         key=lambda c: c["course_id"])
        out.append({"student_id": student.id, "name": student.name,
                    "level": student.profile.level if student.profile else None, "courses": courses})
    return out


def paths_from_rows(rows: Iterable[Row[Any]]) -> list[dict[str, Any]]:
    """The same learning paths from the flat rows of `StudentRepository.learning_path_rows`."""
    out: list[dict[str, Any]] = []
    for row in rows:
        if not out or out[-1]["student_id"] != row.id:
            out.append({"student_id": row.id, "name": row.name, "level": row.profile_level, "courses": []})
        if row.enrollments_course_id is not None:
            out[-1]["courses"].append({
                "course_id": row.enrollments_course_id, "title": row.enrollments_course_title,
                "difficulty": row.enrollments_course_difficulty,
                "prerequisite_id": row.enrollments_course_prerequisite_id,
                "progress": row.enrollments_progress, "completed": row.enrollments_completed,
            })
    return out


class StudentRepository(BaseRepository[Student]):
    """Students, plus the two learning-path reads."""

    model = Student

    def learning_paths(self, filters: Filters | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Eager-loaded objects (3 statements) shaped as learning paths."""
        return paths_from_students(self.find_all(filters, _LOADS, order_by="id", limit=limit))

    def learning_path_rows(self, filters: Filters | None = None, fields: Sequence[str] = LEARNING_PATH_FIELDS
                           ) -> list[Row[Any]]:
        """One join, plain rows ordered by student and course: the read-heavy path."""
        return self.rows(fields, filters, order_by=_ORDER)


class AsyncStudentRepository(AsyncBaseRepository[Student]):
    """The async flavour of `StudentRepository`."""

    model = Student

    async def learning_paths(self, filters: Filters | None = None, limit: int | None = None
                             ) -> list[dict[str, Any]]:
        """Eager-loaded objects shaped as learning paths."""
        return paths_from_students(await self.find_all(filters, _LOADS, order_by="id", limit=limit))

    async def learning_path_rows(self, filters: Filters | None = None,
                                 fields: Sequence[str] = LEARNING_PATH_FIELDS) -> list[Row[Any]]:
        """One join, plain rows ordered by student and course."""
        return await self.rows(fields, filters, order_by=_ORDER)
