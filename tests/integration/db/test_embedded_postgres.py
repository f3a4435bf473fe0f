"""The data layer on the embedded PostgreSQL 16 that labkit.lab.services starts (Unix socket URL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from labkit.db import (
    BaseRepository,
    async_session_factory,
    async_unit_of_work,
    bulk_insert,
    bulk_insert_async,
    bulk_update,
    make_async_engine,
    make_engine,
    session_factory,
    unit_of_work,
)
from labkit.errors import BulkWriteError
from labkit.lab import services
from labkit.lab.demo import Student, create_schema, demo_data, drop_schema, write_demo_data
from labkit.monitor import expect_queries
from labkit.settings import Settings


@pytest.fixture(scope="module")
def embedded_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("embedded-db")
    settings = Settings.from_env(environ={"LABKIT_DATA_DIR": str(data)}, env_file=None)
    try:
        yield services.postgres_url(settings, driver="")
    finally:
        services.down(settings)


@pytest.fixture
def embedded(embedded_url: str) -> Iterator[Engine]:
    engine = make_engine(Settings(), url=embedded_url)
    drop_schema(engine)
    create_schema(engine)
    yield engine
    engine.dispose()


def test_bulk_insert_failure_names_the_row_and_leaves_nothing(embedded: Engine) -> None:
    records = [{"id": i, "email": f"s{i}@x.org", "name": f"S{i}"} for i in range(1, 2001)]
    records[1500]["name"] = None
    with unit_of_work(session_factory(embedded)) as session:
        with pytest.raises(BulkWriteError, match=r"records\[1500\] \(batch 2 of 2"):
            bulk_insert(session, Student, records)
        assert session.scalar(select(func.count()).select_from(Student)) == 0
    records[1500]["name"] = "fixed"
    with unit_of_work(session_factory(embedded)) as session:
        assert bulk_insert(session, Student, records) == 2000
        assert bulk_update(session, Student, [{"id": 1, "name": "First"}]) == 1


def test_find_all_eager_loads_within_three_statements(embedded: Engine) -> None:
    with unit_of_work(session_factory(embedded)) as session:
        write_demo_data(session, demo_data(students=100, courses=10, enrollments_per_student=2))
    with session_factory(embedded)() as session, expect_queries(embedded, max=3):
        students = BaseRepository(session, Student).find_all(load_relationships=["profile", "courses"])
        assert sum(len(s.courses) for s in students) == 200


async def test_async_engine_reaches_it_and_copies(embedded: Engine, embedded_url: str) -> None:
    engine = make_async_engine(Settings(), url=embedded_url)
    async with async_unit_of_work(async_session_factory(engine)) as session:
        rows = [{"id": i, "email": f"a{i}@x.org", "name": "A"} for i in range(1, 101)]
        assert await bulk_insert_async(session, Student, rows) == 100
    await engine.dispose()
