"""bulk_insert / bulk_update on SQLite and PostgreSQL, sync and async: counts, errors, atomicity."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from labkit.db import (
    async_session_factory,
    async_unit_of_work,
    bulk_insert,
    bulk_insert_async,
    bulk_update,
    bulk_update_async,
    session_factory,
    unit_of_work,
)
from labkit.errors import BulkInputError, BulkWriteError, UnknownFieldError
from labkit.lab.demo import Course, Student


def students(first: int, last: int, **overrides: Any) -> list[dict[str, Any]]:
    return [{"id": i, "email": f"s{i}@example.org", "name": f"Student {i}", **overrides}
            for i in range(first, last + 1)]


def table_contents(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(Student.id, Student.email, Student.name, Student.is_active).order_by(Student.id))]


def test_bulk_insert_writes_every_record_and_returns_the_count(engine: Engine) -> None:
    with unit_of_work(session_factory(engine)) as session:
        assert bulk_insert(session, Student, students(1, 2500), batch_size=1000) == 2500
    rows = table_contents(engine)
    assert len(rows) == 2500
    assert rows[0] == (1, "s1@example.org", "Student 1", True)  # Python default filled in


def test_empty_records_write_nothing(engine: Engine) -> None:
    with unit_of_work(session_factory(engine)) as session:
        assert bulk_insert(session, Student, []) == 0
    assert table_contents(engine) == []


@pytest.mark.parametrize("failure", ["not_null", "unique"])
def test_failing_row_is_named_and_the_table_is_exactly_as_before(engine: Engine, failure: str) -> None:
    with unit_of_work(session_factory(engine)) as session:
        bulk_insert(session, Student, students(1, 50))
    before = table_contents(engine)
    records = students(100, 1099)
    if failure == "not_null":
        records[733]["name"] = None
    else:
        records[733]["email"] = "s7@example.org"  # collides with an existing row
    with unit_of_work(session_factory(engine)) as session:
        with pytest.raises(BulkWriteError, match=r"records\[733\] \(batch 8 of 10") as caught:
            bulk_insert(session, Student, records, batch_size=100)
        assert caught.value.row == 733 and caught.value.batch == 7
        # the session's own transaction is still usable after the failed call
        assert session.scalar(select(func.count()).select_from(Student)) == 50
    assert table_contents(engine) == before


def test_unknown_key_is_an_error_naming_it_and_the_valid_columns(engine: Engine) -> None:
    with unit_of_work(session_factory(engine)) as session:
        with pytest.raises(UnknownFieldError, match=r"no column 'nickname'.*valid: id, email, name"):
            bulk_insert(session, Student, [{"id": 1, "email": "a", "name": "a", "nickname": "x"}])
    assert table_contents(engine) == []


def test_records_with_differing_keys_are_rejected_before_writing(engine: Engine) -> None:
    records = students(1, 10)
    del records[6]["name"]
    with unit_of_work(session_factory(engine)) as session:
        with pytest.raises(BulkInputError, match=r"records\[6\].*missing: \['name'\]"):
            bulk_insert(session, Student, records)
    assert table_contents(engine) == []


def test_bulk_update_sets_values_by_primary_key(engine: Engine) -> None:
    with unit_of_work(session_factory(engine)) as session:
        bulk_insert(session, Student, students(1, 1200))
    with unit_of_work(session_factory(engine)) as session:
        changed = bulk_update(session, Student, [{"id": i, "name": f"Renamed {i}", "is_active": False}
                                                 for i in range(1, 1201, 2)], batch_size=100)
    assert changed == 600
    rows = {r[0]: r for r in table_contents(engine)}
    assert rows[1][2:] == ("Renamed 1", False) and rows[2][2:] == ("Student 2", True)


def test_bulk_update_without_primary_key_is_rejected_before_writing(engine: Engine) -> None:
    with unit_of_work(session_factory(engine)) as session:
        bulk_insert(session, Student, students(1, 3))
    with unit_of_work(session_factory(engine)) as session:
        with pytest.raises(BulkInputError, match=r"lacks primary key id"):
            bulk_update(session, Student, [{"name": "nobody"}])


def test_failing_update_leaves_the_table_as_before(engine: Engine) -> None:
    with unit_of_work(session_factory(engine)) as session:
        bulk_insert(session, Student, students(1, 300))
    before = table_contents(engine)
    updates = [{"id": i, "name": f"New {i}"} for i in range(1, 301)]
    updates[250]["name"] = None
    with unit_of_work(session_factory(engine)) as session:
        with pytest.raises(BulkWriteError, match="bulk_update into students failed"):
            bulk_update(session, Student, updates, batch_size=100)
    assert table_contents(engine) == before


def test_upsert_ignore_keeps_existing_rows_and_adds_new_ones(engine: Engine) -> None:
    with unit_of_work(session_factory(engine)) as session:
        bulk_insert(session, Student, students(1, 10))
    with unit_of_work(session_factory(engine)) as session:
        added = bulk_insert(session, Student, students(6, 15, name="Changed"), on_conflict="ignore")
    rows = table_contents(engine)
    assert added == 5 and len(rows) == 15
    assert rows[5][2] == "Student 6" and rows[14][2] == "Changed"


def test_upsert_update_overwrites_on_the_conflict_columns(engine: Engine) -> None:
    with unit_of_work(session_factory(engine)) as session:
        bulk_insert(session, Student, students(1, 10))
    with unit_of_work(session_factory(engine)) as session:
        bulk_insert(session, Student, students(6, 15, name="Changed"), on_conflict="update",
                    conflict_columns=["id"])
    names = [r[2] for r in table_contents(engine)]
    assert names[:5] == [f"Student {i}" for i in range(1, 6)] and set(names[5:]) == {"Changed"}


def test_explicit_keys_do_not_break_later_generated_keys(engine: Engine) -> None:
    with unit_of_work(session_factory(engine)) as session:
        bulk_insert(session, Student, students(1, 100))
        session.add(Student(email="late@example.org", name="Late"))
        session.flush()
        assert session.scalar(select(func.max(Student.id))) == 101


def test_datetimes_round_trip(engine: Engine) -> None:
    moment = datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=timezone.utc)
    with unit_of_work(session_factory(engine)) as session:
        bulk_insert(session, Student, students(1, 2, created_at=moment))
    with engine.connect() as conn:
        stored = conn.execute(select(Student.created_at).where(Student.id == 1)).scalar_one()
    assert stored.replace(tzinfo=timezone.utc) == moment


async def test_async_bulk_insert_and_update(async_engine: AsyncEngine) -> None:
    factory = async_session_factory(async_engine)
    courses = [{"id": i, "code": f"C{i}", "title": f"Course {i}", "subject": "db", "difficulty": 1}
               for i in range(1, 201)]
    async with async_unit_of_work(factory) as session:
        assert await bulk_insert_async(session, Course, courses, batch_size=50) == 200
        assert await bulk_update_async(session, Course, [{"id": i, "difficulty": 3} for i in range(1, 101)]) == 100
    async with factory() as session:
        assert await session.scalar(select(func.count()).where(Course.difficulty == 3)) == 100


async def test_async_failing_row_is_named_and_nothing_remains(async_engine: AsyncEngine) -> None:
    factory = async_session_factory(async_engine)
    courses = [{"id": i, "code": f"C{i}", "title": "t", "subject": "db", "difficulty": 1} for i in range(1, 301)]
    courses[212]["code"] = "C5"
    async with async_unit_of_work(factory) as session:
        with pytest.raises(BulkWriteError, match=r"records\[212\]") as caught:
            await bulk_insert_async(session, Course, courses, batch_size=100)
        assert caught.value.batch == 2
        assert await session.scalar(select(func.count()).select_from(Course)) == 0


def test_generic_core_path_writes_in_batches_and_names_the_failing_batch(tmp_path) -> None:
    from labkit.db import bulk as bulk_module
    from labkit.db import make_engine
    from labkit.db.bulk_plan import plan_rows
    from labkit.lab.demo import create_schema

    engine = make_engine(url=f"sqlite:///{tmp_path / 'core.sqlite3'}")
    create_schema(engine)
    records = students(1, 25)
    with unit_of_work(session_factory(engine)) as session:
        plan = plan_rows(Student, records, operation="bulk_insert")
        assert bulk_module._core_insert(session.connection(), plan, 10, "error", None) == 25
    bad = plan_rows(Student, students(26, 50, name=None), operation="bulk_insert")
    with unit_of_work(session_factory(engine)) as session:
        with pytest.raises(BulkWriteError, match=r"batch 1 \(records\[0:10\]\)"):
            with session.begin_nested():
                bulk_module._core_insert(session.connection(), bad, 10, "error", None)
        update = plan_rows(Student, [{"id": 3, "name": "Core"}], operation="bulk_update", require_keys=["id"])
        assert bulk_module._core_update(session.connection(), update, 10) == 1
    assert len(table_contents(engine)) == 25 and table_contents(engine)[2][2] == "Core"


def test_a_value_the_driver_cannot_encode_is_named_by_row(engine: Engine) -> None:
    records = students(1, 40)
    records[17]["id"] = "not a number"
    with unit_of_work(session_factory(engine)) as session:
        with pytest.raises(BulkWriteError, match=r"records\[17\]"):
            bulk_insert(session, Student, records, batch_size=10 ** 6)
    assert table_contents(engine) == []


_TYPE_ERROR = r"records\[17\] .*column 'name' \(VARCHAR\(120\)\) got int 12345, expected str"


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite stores any type
def test_a_value_of_the_wrong_type_is_named_by_row_column_and_type(engine: Engine) -> None:
    records = students(1, 40)
    records[17]["name"] = 12345
    with unit_of_work(session_factory(engine)) as session:
        with pytest.raises(BulkWriteError, match=_TYPE_ERROR) as info:
            bulk_insert(session, Student, records)
    assert info.value.row == 17 and table_contents(engine) == []


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_the_async_path_names_row_column_and_type_too(async_engine: AsyncEngine) -> None:
    records = students(1, 40)
    factory = async_session_factory(async_engine)
    async with async_unit_of_work(factory) as session:
        await bulk_insert_async(session, Student, records)
    records[17]["name"] = 12345
    with pytest.raises(BulkWriteError, match=_TYPE_ERROR.replace("records", "bulk_update into students.*records")):
        async with async_unit_of_work(factory) as session:
            await bulk_update_async(session, Student, [{"id": r["id"], "name": r["name"]} for r in records])
    fresh = students(101, 140)
    fresh[17]["name"] = 12345
    with pytest.raises(BulkWriteError, match=_TYPE_ERROR):
        async with async_unit_of_work(factory) as session:
            await bulk_insert_async(session, Student, fresh)


async def test_a_value_no_driver_can_bind_is_named_by_row_column_and_type_on_every_backend(
    engine: Engine, async_engine: AsyncEngine
) -> None:
    records = students(1, 30)
    records[11]["name"] = {"first": "Ada"}
    expected = r"records\[11\] .*column 'name' \(VARCHAR\(120\)\) got dict \{'first': 'Ada'\}, expected str"
    with pytest.raises(BulkWriteError, match=expected):
        with unit_of_work(session_factory(engine)) as session:
            bulk_insert(session, Student, records)
    with pytest.raises(BulkWriteError, match=expected):
        async with async_unit_of_work(async_session_factory(async_engine)) as session:
            await bulk_insert_async(session, Student, records)


def test_bulk_update_by_a_composite_key(engine: Engine) -> None:
    from labkit.lab.demo import Enrollment, demo_data, write_demo_data

    data = demo_data(students=30, courses=6, enrollments_per_student=2, seed=5)
    with unit_of_work(session_factory(engine)) as session:
        write_demo_data(session, data)
    picked = data.enrollments[::3]
    updates = [{"student_id": e["student_id"], "course_id": e["course_id"], "progress": 1.0, "completed": True}
               for e in picked]
    with unit_of_work(session_factory(engine)) as session:
        assert bulk_update(session, Enrollment, updates, batch_size=7) == len(picked)
    with engine.connect() as conn:
        done = set(conn.execute(select(Enrollment.student_id, Enrollment.course_id).where(Enrollment.completed)))
    assert done == {(e["student_id"], e["course_id"]) for e in picked} | {
        (e["student_id"], e["course_id"]) for e in data.enrollments if e["completed"]}


def test_objects_loaded_before_a_bulk_update_read_the_new_values(engine: Engine) -> None:
    with unit_of_work(session_factory(engine)) as session:
        bulk_insert(session, Student, students(1, 4))
    with unit_of_work(session_factory(engine)) as session:
        first, second = session.get(Student, 1), session.get(Student, 2)
        assert first is not None and second is not None and first.name == "Student 1"
        bulk_update(session, Student, [{"id": 1, "name": "Renamed 1"}, {"id": 3, "name": "Renamed 3"}])
        assert sa_inspect(first).expired_attributes and not sa_inspect(second).expired_attributes
        assert first.name == "Renamed 1"  # reloaded on access, not the value the session held
        assert session.get(Student, 3).name == "Renamed 3"  # type: ignore[union-attr]


def test_an_upsert_refreshes_loaded_objects_at_once_when_asked(engine: Engine) -> None:
    with unit_of_work(session_factory(engine)) as session:
        bulk_insert(session, Student, students(1, 3))
    with unit_of_work(session_factory(engine)) as session:
        loaded = session.get(Student, 2)
        bulk_insert(session, Student.__table__, students(2, 5, name="Upserted"), on_conflict="update",
                    loaded="refresh")
        assert loaded is not None and not sa_inspect(loaded).expired_attributes
        assert loaded.name == "Upserted"


def test_an_upsert_on_another_unique_column_expires_every_loaded_object_of_the_table(engine: Engine) -> None:
    """Rows found by email, not by key: which loaded object was rewritten is unknown, so all of them expire."""
    with unit_of_work(session_factory(engine)) as session:
        bulk_insert(session, Student, students(1, 3))
    with unit_of_work(session_factory(engine)) as session:
        first, third = session.get(Student, 1), session.get(Student, 3)
        bulk_insert(session, Student, [{"email": "s3@example.org", "name": "By email"}], on_conflict="update",
                    conflict_columns=["email"])
        assert first is not None and third is not None
        assert sa_inspect(first).expired_attributes and third.name == "By email"


def test_an_unknown_loaded_option_is_named(engine: Engine) -> None:
    with unit_of_work(session_factory(engine)) as session, pytest.raises(BulkInputError, match="loaded='keep'"):
        bulk_update(session, Student, [{"id": 1, "name": "x"}], loaded="keep")  # type: ignore[arg-type]


async def test_async_bulk_update_refreshes_objects_the_session_holds(async_engine: AsyncEngine) -> None:
    factory = async_session_factory(async_engine)
    async with async_unit_of_work(factory) as session:
        await bulk_insert_async(session, Student, students(1, 3))
    async with async_unit_of_work(factory) as session:
        held = await session.get(Student, 2)
        assert held is not None and held.name == "Student 2"
        await bulk_update_async(session, Student, [{"id": 2, "name": "Async rename"}])
        assert held.name == "Async rename"  # readable without an await: refreshed, not merely expired
