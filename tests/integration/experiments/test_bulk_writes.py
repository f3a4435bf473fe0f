"""03_bulk_writes' strategies on both backends: each writes exactly the rows, each update lands."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from labkit.lab.demo import Activity, Enrollment
from labkit.lab.experiments.bulk_writes.inserts import INSERTS, InsertBench, activity_records
from labkit.lab.experiments.bulk_writes.measure import measure_writes, runnable, throughput, throughput_table
from labkit.lab.experiments.bulk_writes.updates import UPDATES, UpdateBench
from labkit.lab.experiments.scratch_db import ScratchDatabase, scratch_database
from labkit.settings import Settings

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def db(url: str, lab_settings: Settings) -> Iterator[ScratchDatabase]:
    with scratch_database(url, "labkit_test_nb03", settings=lab_settings) as scratch:
        yield scratch


def _events(db: ScratchDatabase) -> list[tuple[object, ...]]:
    columns = [Activity.student_id, Activity.kind, Activity.score, Activity.created_at]
    with db.engine.connect() as conn:
        rows = conn.execute(select(*columns).order_by(Activity.id)).all()
    return [(a, b, c, d.replace(tzinfo=None)) for a, b, c, d in rows]


@pytest.mark.parametrize("strategy", list(INSERTS))
def test_each_insert_strategy_writes_exactly_the_records(db: ScratchDatabase, strategy: str) -> None:
    records = activity_records(37)
    bench = InsertBench(db, records)
    try:
        assert bench.cases([strategy])[strategy]() == 37
        expected = [(r["student_id"], r["kind"], r["score"], r["created_at"].replace(tzinfo=None)) for r in records]
        assert _events(db) == expected
        assert bench.written == 37
        bench.empty()
        assert bench.count() == 0
    finally:
        bench.close()


def test_emptying_refuses_a_table_that_lacks_rows_a_strategy_reported(db: ScratchDatabase) -> None:
    bench = InsertBench(db, activity_records(5))
    bench.written = 6
    with pytest.raises(AssertionError, match="holds 0 rows; the strategies wrote 6"):
        bench.empty()


@pytest.mark.parametrize("strategy", list(UPDATES))
def test_each_update_strategy_sets_every_row(db: ScratchDatabase, strategy: str) -> None:
    bench = UpdateBench(db, 23, courses=6)
    try:
        case = bench.cases([strategy])[strategy]
        for _ in range(3):  # alternating value sets: every call changes every row
            assert case() == 23
            assert bench.holds_last_values()
            wanted = {(d["student_id"], d["course_id"]): (d["progress"], d["completed"])
                      for d in bench.sets[bench.last]["dicts"]}  # type: ignore[index]
            with db.engine.connect() as conn:
                found = {(s, c): (p, done) for s, c, p, done in conn.execute(
                    select(Enrollment.student_id, Enrollment.course_id, Enrollment.progress, Enrollment.completed))}
            assert found == wanted
        bench.tidy()
    finally:
        bench.close()


def test_row_at_a_time_strategies_stop_at_per_row_max() -> None:
    names = ["commit_per_row", "labkit_bulk_insert", "orm_per_row", "core_update"]
    assert runnable(names, 1000, 1000) == names
    assert runnable(names, 1001, 1000) == ["labkit_bulk_insert", "core_update"]


def test_measuring_gives_rows_per_second_for_every_strategy_and_size(url: str, lab_settings: Settings) -> None:
    frame = measure_writes(url, settings=lab_settings, sizes=[8, 30], inserts=list(INSERTS), updates=list(UPDATES),
                           repeats=3, warmups=1, per_row_max=8, per_row_repeats=1)
    samples = frame[frame["phase"] == "sample"]
    per_row = samples[samples["case"].isin(["commit_per_row", "orm_per_row"])]
    assert set(per_row["rows"]) == {8} and len(per_row) == 2  # one timed call each, only at 8 rows
    table = throughput(samples)
    assert len(table) == 2 * (len(INSERTS) + len(UPDATES)) - 2
    shown = throughput_table(table, table["backend"].iloc[0], "insert")
    assert shown.loc["ORM: add and commit one row at a time", ("30 rows", "rows/s")] == "not run"
    assert (table["rows_per_s"] > 0).all()
