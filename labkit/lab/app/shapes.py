"""The JSON the service answers with, built the same way in both modes, and the statements they share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Integer, Select, SmallInteger, func, select
from sqlalchemy.orm import InstrumentedAttribute

from labkit.lab.demo.models import Course, Enrollment, Profile, Student
from labkit.lab.errors import ParameterError

__all__ = ["LEVELS", "RECOMMENDATIONS", "MAX_LIMIT", "MAX_OFFSET", "column_max", "STUDENT_ID_MAX",
           "student_json", "course_json", "list_statement", "count_statement",
           "recommendations_statement"]

LEVELS = ("beginner", "intermediate", "advanced")
RECOMMENDATIONS = 5
MAX_LIMIT = 100  # students per page
MAX_OFFSET = 1_000_000  # deeper pages cost a scan of every row before them


def column_max(column: InstrumentedAttribute[int]) -> int:
    """The largest value an integer column can hold in PostgreSQL (int2, int4 or int8)."""
    kind = column.property.columns[0].type
    for cls, bits in ((SmallInteger, 16), (BigInteger, 64), (Integer, 32)):  # subclasses before Integer
        if isinstance(kind, cls):
            return 2 ** (bits - 1) - 1
    raise ParameterError(f"{column} is of type {kind!r}, not an integer column")


STUDENT_ID_MAX = column_max(Student.id)


def student_json(student: Student, profile: Profile | None) -> dict[str, Any]:
    """A student with the level and timezone of their profile."""
    return {"id": student.id, "name": student.name, "email": student.email, "is_active": student.is_active,
            "created_at": student.created_at.isoformat() if student.created_at else None,
            "level": profile.level if profile else None, "timezone": profile.timezone if profile else None}


def course_json(course: Course, enrollment: Enrollment | None = None) -> dict[str, Any]:
    """A course, with the student's progress when it comes from an enrollment."""
    out: dict[str, Any] = {"course_id": course.id, "code": course.code, "title": course.title,
                           "subject": course.subject, "difficulty": course.difficulty,
                           "prerequisite_id": course.prerequisite_id}
    if enrollment is not None:
        out["progress"] = enrollment.progress
        out["completed"] = enrollment.completed
    return out


def _filtered(statement: Select[Any], is_active: bool | None, level: str | None) -> Select[Any]:
    if is_active is not None:
        statement = statement.where(Student.is_active.is_(is_active))
    if level is not None:
        statement = statement.join(Profile, Profile.student_id == Student.id).where(Profile.level == level)
    return statement


def list_statement(is_active: bool | None, level: str | None, limit: int, offset: int) -> Select[Any]:
    """One page of students matching the filters, by id."""
    return _filtered(select(Student), is_active, level).order_by(Student.id).limit(limit).offset(offset)


def count_statement(is_active: bool | None, level: str | None) -> Select[Any]:
    """How many students match the filters."""
    return _filtered(select(func.count()).select_from(Student), is_active, level)


def recommendations_statement(student_id: int) -> Select[Any]:
    """Courses that follow one the student takes and that they do not take yet, easiest first."""
    taken = select(Enrollment.course_id).where(Enrollment.student_id == student_id).scalar_subquery()
    return (select(Course).where(Course.prerequisite_id.in_(taken), Course.id.not_in(taken))
            .order_by(Course.difficulty, Course.id).limit(RECOMMENDATIONS))
