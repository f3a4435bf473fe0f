"""Statement building: filters bind values, unknown names list the valid ones, eager-load choice."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm.strategy_options import Load

from labkit.db import Range, Student
from labkit.db.queries import load_options, select_models, select_rows
from labkit.errors import UnknownFieldError


def sql(statement: object) -> str:
    return str(statement.compile(dialect=postgresql.dialect()))  # type: ignore[attr-defined]


def test_filters_bind_every_value() -> None:
    statement = select_models(Student, filters={"name": "x' OR 1=1 --", "id": [1, 2], "created_at": None,
                                                "is_active": True})
    text = sql(statement)
    assert "x' OR" not in text
    assert "students.name = %(name_1)s" in text and "students.created_at IS NULL" in text
    assert "students.id IN (__[POSTCOMPILE_id_1])" in text


def test_range_filter_renders_each_given_bound() -> None:
    text = sql(select_models(Student, filters={"id": Range(gt=1, le=9)}))
    assert "students.id > %(id_1)s" in text and "students.id <= %(id_2)s" in text


def test_unknown_order_by_column_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownFieldError, match=r"no column to order by 'age'; valid: created_at, email, id"):
        select_models(Student, order_by="-age")


def test_negative_limit_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"limit=-1 is not valid"):
        select_models(Student, limit=-1)


def test_collections_use_selectinload_and_one_to_one_joinedload() -> None:
    options = load_options(Student, ["profile", "courses", "enrollments.course"])
    strategies = [dict(o.context[0].strategy)["lazy"] for o in options if isinstance(o, Load)]
    assert strategies == ["joined", "selectin", "selectin"]


def test_rows_projection_outer_joins_along_relationships() -> None:
    text = sql(select_rows(Student, ["id", "profile.level", "courses.title"], order_by="-courses.title"))
    assert "LEFT OUTER JOIN profiles AS profile" in text
    assert "courses.title AS courses_title" in text and "ORDER BY courses.title DESC" in text


def test_rows_projection_rejects_unknown_fields() -> None:
    with pytest.raises(UnknownFieldError, match=r"Profile has no column 'age'"):
        select_rows(Student, ["profile.age"])
    with pytest.raises(UnknownFieldError, match=r"Student has no relationship 'teacher'"):
        select_rows(Student, ["teacher.name"])
