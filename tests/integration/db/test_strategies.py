"""Every registered strategy writes or reads the same data as labkit's own."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from labkit.db import session_factory, unit_of_work
from labkit.lab.demo import Activity, demo_data, write_demo_data
from labkit.lab.strategies import INSERT_STRATEGIES, LOAD_STRATEGIES, UPDATE_STRATEGIES

START = datetime(2025, 1, 1, tzinfo=timezone.utc)


def activities(n: int) -> list[dict[str, Any]]:
    return [{"id": i, "student_id": i % 7, "kind": "quiz", "score": i / 2, "created_at": START + timedelta(minutes=i)}
            for i in range(1, n + 1)]


def contents(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(select(Activity.id, Activity.student_id, Activity.kind, Activity.score,
                                   Activity.created_at).order_by(Activity.id)).all()
    return [(*r[:4], r[4].replace(tzinfo=timezone.utc)) for r in rows]


@pytest.mark.parametrize("name", list(INSERT_STRATEGIES))
def test_insert_strategy_writes_every_record(engine: Engine, name: str) -> None:
    records = activities(30)
    INSERT_STRATEGIES[name](session_factory(engine), Activity, records)
    assert contents(engine) == [tuple(r.values()) for r in records]


@pytest.mark.parametrize("name", list(UPDATE_STRATEGIES))
def test_update_strategy_sets_every_value(engine: Engine, name: str) -> None:
    factory = session_factory(engine)
    INSERT_STRATEGIES["labkit_bulk_insert"](factory, Activity, activities(20))
    UPDATE_STRATEGIES[name](factory, Activity, [{"id": i, "score": -1.0} for i in range(1, 21, 2)])
    scores = [row[3] for row in contents(engine)]
    assert scores[0::2] == [-1.0] * 10 and -1.0 not in scores[1::2]


def test_load_strategies_see_the_same_data(engine: Engine) -> None:
    with unit_of_work(session_factory(engine)) as session:
        write_demo_data(session, demo_data(students=25, courses=5, enrollments_per_student=2))
        session.execute(delete(Activity))
    seen = {name: LOAD_STRATEGIES[name](session_factory(engine)) for name in LOAD_STRATEGIES}
    assert seen == {"lazy": 75, "selectin_everything": 75, "find_all": 75, "projection": 50}
