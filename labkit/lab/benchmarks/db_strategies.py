"""The seed's write and read strategies against labkit's, as informational same-run ratios.

Each row is one strategy's time over labkit's on the same data (PostgreSQL), so the seed's
"11× / 81× / 224×" style claims can be checked on this machine. Runs in its own schema.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from itertools import count
from typing import Any

import psycopg

from labkit.db import database_url, make_engine, session_factory
from labkit.lab.bench import BenchRow, label_of, ratio, run_interleaved
from labkit.lab.demo import Activity, create_schema, demo_data, write_demo_data
from labkit.lab.strategies import INSERT_STRATEGIES, LOAD_STRATEGIES, UPDATE_STRATEGIES
from labkit.settings import Settings

__all__ = ["run"]

SCHEMA = "labkit_bench_db_strategies"
SUITE = "db_strategies"
_START = datetime(2025, 1, 1, tzinfo=timezone.utc)


def _batches(rows: int) -> Callable[[], list[dict[str, Any]]]:
    """Fresh primary keys for every call (made outside the timed part by each case's caller)."""
    ids = count(1)

    def make() -> list[dict[str, Any]]:
        return [{"id": next(ids), "student_id": i % 97, "kind": "quiz", "score": i / 4,
                 "created_at": _START + timedelta(seconds=i)} for i in range(rows)]

    return make


def _insert_rows(factory: Any, rows: int, reps: tuple[int, int]) -> list[BenchRow]:
    make = _batches(rows)
    out = []
    for name in INSERT_STRATEGIES:
        if name == "labkit_bulk_insert":
            continue
        pending = {key: [make() for _ in range(sum(reps))] for key in ("labkit", name)}
        cases = {key: _consuming(INSERT_STRATEGIES[key if key != "labkit" else "labkit_bulk_insert"],
                                 factory, pending[key]) for key in pending}
        ms = run_interleaved(cases, repeats=reps[0], warmups=reps[1])
        out.append(BenchRow(SUITE, f"{label_of(INSERT_STRATEGIES[name])} vs labkit bulk_insert ({rows} rows)",
                            ratio(ms["labkit"], ms[name])))
    return out


def _consuming(strategy: Callable[..., object], factory: Any, batches: list[list[dict[str, Any]]]
               ) -> Callable[[], None]:
    def case() -> None:
        strategy(factory, Activity, batches.pop())

    return case


def _update_rows(factory: Any, rows: int, reps: tuple[int, int]) -> BenchRow:
    batch = _batches(rows)()
    for record in batch:
        record["id"] += 10_000_000
    INSERT_STRATEGIES["labkit_bulk_insert"](factory, Activity, batch)
    updates = [{"id": r["id"], "score": -r["score"], "kind": "review"} for r in batch]
    ms = run_interleaved({"labkit": lambda: UPDATE_STRATEGIES["labkit_bulk_update"](factory, Activity, updates),
                          "orm": lambda: UPDATE_STRATEGIES["orm_bulk_update"](factory, Activity, updates)},
                         repeats=reps[0], warmups=reps[1])
    return BenchRow(SUITE, f"{label_of(UPDATE_STRATEGIES['orm_bulk_update'])} vs labkit bulk_update ({rows} rows)",
                    ratio(ms["labkit"], ms["orm"]))


def _load_rows(factory: Any, engine: Any, students: int, reps: tuple[int, int]) -> list[BenchRow]:
    create_schema(engine)
    with factory() as session, session.begin():
        write_demo_data(session, demo_data(students=students, courses=50, enrollments_per_student=5, seed=2))
    cases = {name: (lambda fn=LOAD_STRATEGIES[name]: fn(factory)) for name in LOAD_STRATEGIES}
    ms = run_interleaved(cases, repeats=reps[0], warmups=reps[1])
    return [BenchRow(SUITE, f"{label_of(LOAD_STRATEGIES[name])} vs projection ({students} students)",
                     ratio(ms["projection"], ms[name])) for name in LOAD_STRATEGIES if name != "projection"]


def run(settings: Settings, *, quick: bool = False) -> list[BenchRow]:
    """Informational rows: each strategy relative to labkit's way."""
    raw = database_url(settings).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(raw, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        admin.execute(f"CREATE SCHEMA {SCHEMA}")
    engine = make_engine(settings, connect_args={"connect_timeout": 5, "options": f"-c search_path={SCHEMA}"})
    try:
        create_schema(engine)
        factory = session_factory(engine)
        reps = (2, 1) if quick else (7, 1)
        rows = _insert_rows(factory, 100 if quick else 1000, reps)
        rows.append(_update_rows(factory, 1000 if quick else 10_000, reps))
        rows.extend(_load_rows(factory, engine, 100 if quick else 1000, (3, 1) if quick else (9, 1)))
        return rows
    finally:
        engine.dispose()
        with psycopg.connect(raw, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
