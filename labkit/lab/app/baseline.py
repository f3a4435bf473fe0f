"""Baseline mode: no cache, lazy loading, no pool, sync calls in a thread — the seed's "before"."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from labkit.db.sessions import session_factory
from labkit.lab.app.config import AppConfig
from labkit.lab.app.database import sync_engine
from labkit.lab.app.shapes import count_statement, course_json, list_statement, recommendations_statement, student_json
from labkit.lab.demo.models import Student

__all__ = ["BaselineStudents"]


class BaselineStudents:
    """Each call opens a fresh connection and lets relationships load one statement at a time."""

    cache = None

    def __init__(self, config: AppConfig) -> None:
        self.engine: Engine = sync_engine(config, profile="baseline", serving=True)
        self._sessions = session_factory(self.engine)

    async def close(self) -> None:
        self.engine.dispose()

    async def student(self, student_id: int) -> dict[str, Any] | None:
        return await to_thread.run_sync(self._student, student_id)

    async def students(self, is_active: bool | None, level: str | None, limit: int, offset: int) -> dict[str, Any]:
        return await to_thread.run_sync(self._students, is_active, level, limit, offset)

    async def learning_path(self, student_id: int) -> dict[str, Any] | None:
        return await to_thread.run_sync(self._learning_path, student_id)

    def _student(self, student_id: int) -> dict[str, Any] | None:
        with self._sessions() as session:
            student = session.get(Student, student_id)
            return None if student is None else student_json(student, student.profile)  # lazy profile

    def _students(self, is_active: bool | None, level: str | None, limit: int, offset: int) -> dict[str, Any]:
        with self._sessions() as session:
            total = int(session.scalar(count_statement(is_active, level)) or 0)
            page = session.scalars(list_statement(is_active, level, limit, offset)).all()
            items = [student_json(s, s.profile) for s in page]  # one more statement per student (N+1)
        return {"items": items, "total": total, "limit": limit, "offset": offset}

    def _learning_path(self, student_id: int) -> dict[str, Any] | None:
        with self._sessions() as session:
            student = session.get(Student, student_id)
            if student is None:
                return None
            return _path(session, student)


def _path(session: Session, student: Student) -> dict[str, Any]:
    courses = sorted((course_json(e.course, e) for e in student.enrollments),  # a statement per course
                     key=lambda c: c["course_id"])
    recommended = [course_json(c) for c in session.scalars(recommendations_statement(student.id))]
    return {"student": student_json(student, student.profile), "courses": courses,
            "recommendations": recommended}
