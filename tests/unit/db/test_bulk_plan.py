"""Bulk records are checked and turned into tuples before anything is written."""

from __future__ import annotations

import pytest

from labkit.db.bulk_plan import plan_rows
from labkit.errors import BulkInputError, UnknownFieldError
from labkit.lab.demo import Course, Enrollment, Student


def test_rows_follow_the_first_records_keys_plus_constant_defaults() -> None:
    plan = plan_rows(Student, [{"name": "a", "id": 1, "email": "e"}], operation="bulk_insert")
    assert plan.columns == ["name", "id", "email", "is_active"]
    assert plan.rows == [("a", 1, "e", True)]


def test_unknown_key_lists_the_valid_columns() -> None:
    with pytest.raises(UnknownFieldError, match=r"courses has no column 'teacher'; valid: id, code, title"):
        plan_rows(Course, [{"id": 1, "teacher": "x"}], operation="bulk_insert")


def test_extra_key_in_a_later_record_is_named() -> None:
    records = [{"id": 1, "name": "a"}, {"id": 2, "name": "b", "email": "x"}]
    with pytest.raises(BulkInputError, match=r"records\[1\].*extra: \['email'\]"):
        plan_rows(Student, records, operation="bulk_insert")


def test_composite_key_must_be_complete_for_updates() -> None:
    with pytest.raises(BulkInputError, match=r"lacks primary key course_id"):
        plan_rows(Enrollment, [{"student_id": 1, "progress": 0.5}], operation="bulk_update",
                  require_keys=["student_id", "course_id"])


def test_null_primary_key_is_named_by_record() -> None:
    records = [{"id": 1, "name": "a"}, {"id": None, "name": "b"}]
    with pytest.raises(BulkInputError, match=r"records\[1\] has a NULL primary key"):
        plan_rows(Student, records, operation="bulk_update", require_keys=["id"])


def test_non_mapping_records_are_rejected() -> None:
    with pytest.raises(BulkInputError, match="expected a mapping"):
        plan_rows(Student, [(1, "a")], operation="bulk_insert")  # type: ignore[list-item]
