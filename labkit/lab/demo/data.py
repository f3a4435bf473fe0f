"""A seeded, deterministic learning platform: the same seed gives the same rows, byte for byte.

Rows are written through labkit's own `bulk_insert`, so generating data exercises it too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from labkit.db.bulk import bulk_insert
from labkit.lab.demo.models import Course, Enrollment, Profile, Student
from labkit.lab.errors import ParameterError

__all__ = ["DemoData", "demo_data", "write_demo_data", "write_demo_data_async"]

_FIRST = ("Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret", "Niklaus",
          "Radia", "Ken", "Sophie", "Tim", "Leslie", "Shafi")
_LAST = ("Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Hamilton",
         "Wirth", "Perlman", "Thompson", "Wilson", "Berners-Lee", "Lamport", "Goldwasser")
_SUBJECTS = ("algorithms", "databases", "networks", "statistics", "compilers", "security")
_LEVELS = ("beginner", "intermediate", "advanced")
_ZONES = ("UTC", "Europe/Istanbul", "Europe/Berlin", "America/New_York", "Asia/Tokyo")
_EPOCH = datetime(2025, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class DemoData:
    """Records for each demo table, ready for `bulk_insert`."""

    courses: list[dict[str, Any]]
    students: list[dict[str, Any]]
    profiles: list[dict[str, Any]]
    enrollments: list[dict[str, Any]]

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in ("courses", "students", "profiles", "enrollments")}


def demo_data(*, students: int = 1000, courses: int = 50, enrollments_per_student: int = 5,
              seed: int = 0) -> DemoData:
    """Build the records; the same arguments always give the same records."""
    if students < 0 or courses < 1 or enrollments_per_student < 0:
        raise ParameterError(f"students={students}, courses={courses}, enrollments_per_student="
                         f"{enrollments_per_student}: expected students >= 0, courses >= 1, enrollments >= 0")
    if enrollments_per_student > courses:
        raise ParameterError(f"enrollments_per_student={enrollments_per_student} exceeds courses={courses}: "
                         "a student takes each course at most once")
    rng = random.Random(seed)
    course_rows: list[dict[str, Any]] = []
    last_of_subject: dict[str, int] = {}
    for cid in range(1, courses + 1):
        subject = _SUBJECTS[(cid - 1) % len(_SUBJECTS)]
        course_rows.append({"id": cid, "code": f"{subject[:3].upper()}{cid:04d}",
                            "title": f"{subject.title()} {cid // len(_SUBJECTS) + 1}", "subject": subject,
                            "difficulty": rng.randint(1, 5), "prerequisite_id": last_of_subject.get(subject)})
        last_of_subject[subject] = cid
    student_rows, profile_rows, enrollment_rows = [], [], []
    for sid in range(1, students + 1):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        created = _EPOCH + timedelta(minutes=rng.randrange(525_600))
        student_rows.append({"id": sid, "email": f"{first.lower()}.{last.lower()}.{sid}@example.org",
                             "name": f"{first} {last}", "is_active": rng.random() < 0.9, "created_at": created})
        profile_rows.append({"id": sid, "student_id": sid, "level": rng.choice(_LEVELS),
                             "timezone": rng.choice(_ZONES), "bio": f"Learner {sid}, fond of {rng.choice(_SUBJECTS)}."})
        for cid in sorted(rng.sample(range(1, courses + 1), enrollments_per_student)):
            progress = round(rng.random(), 3)
            enrollment_rows.append({"student_id": sid, "course_id": cid, "progress": progress,
                                    "completed": progress > 0.95,
                                    "enrolled_at": created + timedelta(days=rng.randrange(60))})
    return DemoData(course_rows, student_rows, profile_rows, enrollment_rows)


def write_demo_data(session: Session, data: DemoData, *, batch_size: int = 1000) -> dict[str, int]:
    """Bulk-insert the records in foreign-key order; the caller's unit of work commits."""
    for model, rows in ((Course, data.courses), (Student, data.students), (Profile, data.profiles),
                        (Enrollment, data.enrollments)):
        bulk_insert(session, model, rows, batch_size=batch_size)
    return data.counts()


async def write_demo_data_async(session: AsyncSession, data: DemoData, *, batch_size: int = 1000) -> dict[str, int]:
    """`write_demo_data` through an AsyncSession."""
    return await session.run_sync(write_demo_data, data, batch_size=batch_size)
