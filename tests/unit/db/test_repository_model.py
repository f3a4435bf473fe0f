"""A repository needs a model, and `get_many` a single-column key; both say so before any statement."""

from __future__ import annotations

import pytest
from sqlalchemy import Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from labkit.db import BaseRepository
from labkit.errors import RepositoryModelError
from labkit.lab.demo import Student


class _Base(DeclarativeBase):
    pass


class Grade(_Base):
    __tablename__ = "grades"
    student_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class NoModel(BaseRepository[Student]):
    pass


def test_a_repository_without_a_model_names_the_class_and_how_to_give_one() -> None:
    with pytest.raises(RepositoryModelError, match=r"NoModel needs a model: pass model= or set the class attribute"):
        NoModel(Session())


def test_a_missing_model_is_still_a_type_error_for_callers() -> None:
    with pytest.raises(TypeError):
        NoModel(Session())


def test_get_many_on_a_composite_key_names_its_columns() -> None:
    repository = BaseRepository(Session(), model=Grade)
    with pytest.raises(RepositoryModelError, match=r"Grade has a composite key \(student_id, course_id\); get_many"):
        repository.get_many([(1, 2)])
