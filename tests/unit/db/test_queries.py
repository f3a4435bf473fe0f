"""Statement building: filters bind values, unknown names list the valid ones, eager-load choice."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm.strategy_options import Load

from labkit.db import Range
from labkit.db.queries import load_options, select_models, select_rows
from labkit.errors import DatabaseArgumentError, UnknownFieldError
from labkit.lab.demo import Student


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
    with pytest.raises(DatabaseArgumentError, match=r"limit=-1 is not valid: expected an integer >= 0"):
        select_models(Student, limit=-1)


def test_a_bad_offset_is_rejected_as_a_value_error_too() -> None:
    with pytest.raises(ValueError, match=r"offset='2' is not valid"):
        select_rows(Student, ["id"], offset="2")  # type: ignore[arg-type]


def test_rows_projection_needs_at_least_one_field() -> None:
    with pytest.raises(DatabaseArgumentError, match=r"fields=\[\] is not valid: expected at least one column name"):
        select_rows(Student, [])


def test_collections_use_selectinload_and_one_to_one_joinedload() -> None:
    options = load_options(Student, ["profile", "courses", "enrollments.course"])
    strategies = [dict(o.context[0].strategy)["lazy"] for o in options if isinstance(o, Load)]
    assert strategies == ["joined", "selectin", "selectin"]


def test_rows_projection_outer_joins_along_relationships() -> None:
    statement, params = select_rows(Student, ["id", "profile.level", "courses.title"], order_by="-courses.title")
    text = sql(statement)
    assert params == {}
    assert "LEFT OUTER JOIN profiles AS profile" in text
    assert "courses.title AS courses_title" in text and "ORDER BY courses.title DESC" in text


def test_rows_projection_rejects_unknown_fields() -> None:
    with pytest.raises(UnknownFieldError, match=r"Profile has no column 'age'"):
        select_rows(Student, ["profile.age"])
    with pytest.raises(UnknownFieldError, match=r"Student has no relationship 'teacher'"):
        select_rows(Student, ["teacher.name"])


def test_rows_statement_is_built_once_per_shape_and_values_are_parameters() -> None:
    first, first_params = select_rows(Student, ["id", "name"], filters={"id": [1, 2], "name": "a"}, limit=5)
    again, again_params = select_rows(Student, ["id", "name"], filters={"id": [7], "name": "b' --"}, limit=9)
    assert first is again
    assert first_params == {"lk_id_in": [1, 2], "lk_name_eq": "a", "lk_limit": 5}
    assert again_params["lk_name_eq"] == "b' --" and "b' --" not in sql(again)


def test_rows_statement_renders_each_filter_kind() -> None:
    statement, params = select_rows(Student, ["id"], filters={"id": Range(ge=2, lt=9), "created_at": None})
    text = sql(statement)
    assert "students.id >= %(lk_id_ge)s" in text and "students.id < %(lk_id_lt)s" in text
    assert "students.created_at IS NULL" in text
    assert params == {"lk_id_ge": 2, "lk_id_lt": 9}
    assert "WHERE false" in sql(select_rows(Student, ["id"], filters={"email": []})[0])
