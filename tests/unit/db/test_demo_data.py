"""The demo data generator is deterministic and sized as asked."""

from __future__ import annotations

import pytest

from labkit.lab.demo import demo_data


def test_same_seed_same_records() -> None:
    assert demo_data(students=50, seed=3) == demo_data(students=50, seed=3)
    assert demo_data(students=50, seed=3) != demo_data(students=50, seed=4)


def test_sizes_follow_the_arguments() -> None:
    data = demo_data(students=40, courses=9, enrollments_per_student=4)
    assert data.counts() == {"courses": 9, "students": 40, "profiles": 40, "enrollments": 160}
    pairs = [(e["student_id"], e["course_id"]) for e in data.enrollments]
    assert len(set(pairs)) == len(pairs)


def test_prerequisites_point_to_earlier_courses_of_the_same_subject() -> None:
    courses = {c["id"]: c for c in demo_data(students=1, courses=20).courses}
    for course in courses.values():
        if course["prerequisite_id"] is not None:
            earlier = courses[course["prerequisite_id"]]
            assert earlier["id"] < course["id"] and earlier["subject"] == course["subject"]


def test_more_enrollments_than_courses_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"enrollments_per_student=6 exceeds courses=5"):
        demo_data(courses=5, enrollments_per_student=6)
