"""Repositories on both backends: filters, eager loading within a statement budget, projections."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session

from labkit.db import (
    AsyncBaseRepository,
    BaseRepository,
    Range,
    async_session_factory,
    async_unit_of_work,
    session_factory,
    unit_of_work,
)
from labkit.errors import UnknownFieldError
from labkit.lab.demo import Student, demo_data, write_demo_data, write_demo_data_async
from labkit.monitor import QueryMonitor, expect_queries

DATA = demo_data(students=60, courses=12, enrollments_per_student=3, seed=7)


class StudentRepository(BaseRepository[Student]):
    model = Student


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    with unit_of_work(session_factory(engine)) as session:
        write_demo_data(session, DATA)
    return engine


@pytest.fixture
def session(seeded: Engine) -> Iterator[Session]:
    with session_factory(seeded)() as s:
        yield s


def test_find_all_filters_by_equality(session: Session) -> None:
    active = StudentRepository(session).find_all(filters={"is_active": True})
    assert {s.id for s in active} == {r["id"] for r in DATA.students if r["is_active"]}


def test_find_all_filters_by_list_range_and_none(session: Session) -> None:
    repo = StudentRepository(session)
    assert [s.id for s in repo.find_all(filters={"id": [3, 1, 2]}, order_by="id")] == [1, 2, 3]
    assert [s.id for s in repo.find_all(filters={"id": Range(ge=10, lt=13)}, order_by="-id")] == [12, 11, 10]
    assert repo.find_all(filters={"id": []}) == []
    assert repo.count(filters={"created_at": None}) == 0


def test_unknown_filter_column_names_it_and_the_valid_ones(session: Session) -> None:
    with pytest.raises(UnknownFieldError, match=r"Student has no column to filter on 'active'; valid: .*is_active"):
        StudentRepository(session).find_all(filters={"active": True})


def test_unknown_relationship_names_the_valid_ones(session: Session) -> None:
    with pytest.raises(UnknownFieldError, match=r"no relationship 'roles'; valid: courses, enrollments, profile"):
        StudentRepository(session).find_all(load_relationships=["roles"])


def test_filter_values_are_bound_never_spliced(session: Session) -> None:
    hostile = "x' OR '1'='1"
    assert StudentRepository(session).find_all(filters={"name": hostile}) == []


def test_find_all_with_profile_and_courses_takes_at_most_three_statements(seeded: Engine, session: Session) -> None:
    with expect_queries(seeded, max=3):
        students = StudentRepository(session).find_all(load_relationships=["profile", "courses"], order_by="id")
        levels = [s.profile.level for s in students if s.profile]
        titles = [c.title for s in students for c in s.courses]
    assert len(students) == 60 and len(levels) == 60 and len(titles) == 180


def test_lazy_loading_in_a_loop_is_reported_as_n_plus_one(seeded: Engine, session: Session, tmp_path) -> None:
    monitor = QueryMonitor(slow_log_path=tmp_path / "slow.log", slow_query_ms=1e9, n_plus_one_threshold=5)
    monitor.attach(seeded)
    with monitor.scope("lazy") as scope:
        for student in StudentRepository(session).find_all(limit=20):
            _ = student.profile
    monitor.detach(seeded)
    assert len(scope.n_plus_one) == 1
    finding = scope.n_plus_one[0]
    assert finding.count == 20 and "profiles" in finding.normalized
    assert "test_repository.py" in finding.call_site


def test_get_get_many_count_exists(session: Session) -> None:
    repo = StudentRepository(session)
    assert repo.get(5).id == 5 and repo.get(10_000) is None
    assert [s.id for s in repo.get_many([9, 2, 10_000, 4])] == [9, 2, 4]
    assert repo.count() == 60 and repo.exists({"id": 60}) and not repo.exists({"id": 61})


def test_add_flushes_and_the_unit_of_work_commits(seeded: Engine) -> None:
    with unit_of_work(session_factory(seeded)) as s:
        new = StudentRepository(s).add(Student(email="new@example.org", name="New"))
        assert new.id == 61
    with session_factory(seeded)() as s:
        assert StudentRepository(s).exists({"email": "new@example.org"})


def test_unit_of_work_rolls_back_when_the_block_raises(seeded: Engine) -> None:
    with pytest.raises(RuntimeError):
        with unit_of_work(session_factory(seeded)) as s:
            StudentRepository(s).add(Student(email="gone@example.org", name="Gone"))
            raise RuntimeError("boom")
    with session_factory(seeded)() as s:
        assert not StudentRepository(s).exists({"email": "gone@example.org"})


def test_rows_projection_is_one_statement_of_plain_rows(seeded: Engine, session: Session) -> None:
    with expect_queries(seeded, max=1):
        rows = StudentRepository(session).rows(["id", "name", "profile.level", "courses.title"],
                                               filters={"id": [1, 2]}, order_by=["id", "courses.title"])
    assert len(rows) == 6
    assert set(rows[0]._mapping) == {"id", "name", "profile_level", "courses_title"}
    expected = sorted(c["title"] for c in DATA.courses
                      if c["id"] in {e["course_id"] for e in DATA.enrollments if e["student_id"] == 1})
    assert [r.courses_title for r in rows if r.id == 1] == expected


async def test_async_repository_reads_with_eager_loading(async_engine: AsyncEngine) -> None:
    factory = async_session_factory(async_engine)
    async with async_unit_of_work(factory) as s:
        await write_demo_data_async(s, DATA)
    async with factory() as s:
        repo = AsyncBaseRepository(s, Student)
        with expect_queries(async_engine, max=3):
            students = await repo.find_all(filters={"id": Range(le=10)}, load_relationships=["profile", "courses"])
            assert sum(len(st.courses) for st in students) == 30 and all(st.profile for st in students)
        assert await repo.count() == 60 and await repo.exists({"id": 1})
        assert [st.id for st in await repo.get_many([3, 1])] == [3, 1]
        rows = await repo.rows(["id", "profile.level"], filters={"id": 1})
        assert rows[0].profile_level == DATA.profiles[0]["level"]


def test_learning_paths_from_objects_and_from_rows_agree(seeded: Engine, session: Session) -> None:
    from labkit.lab.demo import StudentRepository, paths_from_rows

    repo = StudentRepository(session)
    with expect_queries(seeded, max=3):
        from_objects = repo.learning_paths(filters={"id": Range(le=20)})
    with expect_queries(seeded, max=1):
        from_rows = paths_from_rows(repo.learning_path_rows(filters={"id": Range(le=20)}))
    assert from_objects == from_rows
    assert len(from_rows) == 20 and all(len(p["courses"]) == 3 for p in from_rows)


async def test_async_learning_paths(async_engine: AsyncEngine) -> None:
    from labkit.lab.demo import AsyncStudentRepository, paths_from_rows

    factory = async_session_factory(async_engine)
    async with async_unit_of_work(factory) as s:
        await write_demo_data_async(s, DATA)
    async with factory() as s:
        repo = AsyncStudentRepository(s)
        assert await repo.learning_paths(limit=5) == paths_from_rows(await repo.learning_path_rows({"id": Range(le=5)}))
