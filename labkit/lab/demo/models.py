"""The demo domain, a learning platform: students with a profile, courses, enrollments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    false,
    func,
    text,
    true,
)
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = ["Base", "Student", "Profile", "Course", "Enrollment", "Activity", "create_schema", "create_schema_async",
           "drop_schema"]

_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of the demo models, with stable constraint names."""

    metadata = MetaData(naming_convention=_NAMING)


class Student(Base):
    """A learner; `courses` reaches the courses through `enrollments`."""

    __tablename__ = "students"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    profile: Mapped[Profile | None] = relationship(back_populates="student", uselist=False)
    enrollments: Mapped[list[Enrollment]] = relationship(back_populates="student")
    courses: Mapped[list[Course]] = relationship(
        secondary="enrollments", viewonly=True, order_by="Course.id"
    )


class Profile(Base):
    """One-to-one with a student: what the learning path adapts to."""

    __tablename__ = "profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), unique=True)
    level: Mapped[str] = mapped_column(String(20))
    timezone: Mapped[str] = mapped_column(String(40), default="UTC", server_default="UTC")
    bio: Mapped[str | None] = mapped_column(Text)

    student: Mapped[Student] = relationship(back_populates="profile")


class Course(Base):
    """A course; `prerequisite_id` orders courses into a learning path."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(60))
    difficulty: Mapped[int] = mapped_column(Integer)
    prerequisite_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"))

    enrollments: Mapped[list[Enrollment]] = relationship(back_populates="course")


class Enrollment(Base):
    """A student in a course, with progress: the association between the two."""

    __tablename__ = "enrollments"

    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), primary_key=True, index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0"))
    completed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    enrolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    student: Mapped[Student] = relationship(back_populates="enrollments")
    course: Mapped[Course] = relationship(back_populates="enrollments")


class Activity(Base):
    """One learning event (a view, a quiz score): the high-volume, append-only table."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def create_schema(engine: Engine) -> None:
    """Create the demo tables (if missing)."""
    Base.metadata.create_all(engine)


def drop_schema(engine: Engine) -> None:
    """Drop the demo tables."""
    Base.metadata.drop_all(engine)


async def create_schema_async(engine: AsyncEngine) -> None:
    """Create the demo tables through an async engine."""
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
