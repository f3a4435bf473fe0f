"""Data-layer speed targets as same-run ratios: bulk writes, eager loading, projections, monitoring.

Everything runs in a schema of its own (`labkit_bench_db`, dropped at the end) on the measured
PostgreSQL, and in a scratch SQLite file beside `SQLITE_PATH`; nothing else is touched.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import select
from sqlalchemy.engine import Engine

from labkit.db import bulk_insert, bulk_update, database_url, make_engine, session_factory, unit_of_work
from labkit.db.repository import BaseRepository
from labkit.db.sqlite import SQLITE_PRAGMAS
from labkit.lab.bench import BenchRow, ratio, run_interleaved
from labkit.lab.benchmarks._tables import ACCOUNTS, EVENT_COLUMNS, EVENTS, METADATA, event_rows
from labkit.lab.demo import Course, Enrollment, Profile, Student, create_schema, demo_data, write_demo_data
from labkit.lab.errors import LabError
from labkit.monitor import QueryMonitor, expect_queries
from labkit.settings import Settings

__all__ = ["run"]

SCHEMA = "labkit_bench_db"
SUITE = "db"


def _pg_url(settings: Settings) -> str:
    return database_url(settings).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def _pg_schema(settings: Settings, schema: str = SCHEMA) -> Iterator[tuple[Engine, str]]:
    """A labkit engine and the psycopg `options` whose search_path is `schema`, created fresh and dropped after."""
    raw = _pg_url(settings)
    with psycopg.connect(raw, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.execute(f"CREATE SCHEMA {schema}")
    options = f"-c search_path={schema}"
    engine = make_engine(settings, connect_args={"connect_timeout": 5, "options": options})
    try:
        yield engine, options
    finally:
        engine.dispose()
        with psycopg.connect(raw, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _measure(cases: dict[str, Callable[[], object]], repeats: int, warmups: int, inner: int = 1) -> dict[str, Any]:
    return run_interleaved(cases, repeats=repeats, warmups=warmups, inner=inner)


def _bulk_insert_postgres(engine: Engine, options: str, raw: str, rows: int, reps: tuple[int, int]) -> BenchRow:
    METADATA.create_all(engine, tables=[EVENTS])
    records = event_rows(rows)
    tuples = [tuple(r[c] for c in EVENT_COLUMNS) for r in records]
    factory = session_factory(engine)
    conn = psycopg.connect(raw, options=options)
    oids = [23, 1043, 701, 1184]  # int4, varchar, float8, timestamptz

    def raw_copy() -> None:
        """raw psycopg binary COPY of tuples"""
        with conn.cursor() as cur, cur.copy(
            "COPY bench_events (user_id, kind, amount, created_at) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(oids)
            for row in tuples:
                copy.write_row(row)
        conn.commit()

    def labkit_insert() -> None:
        """labkit bulk_insert of dicts in a unit of work"""
        with unit_of_work(factory) as session:
            bulk_insert(session, EVENTS, records)

    try:
        ms = _measure({"raw": raw_copy, "labkit": labkit_insert}, *reps)
    finally:
        conn.close()
    return BenchRow(SUITE, f"bulk_insert {rows // 1000}k rows vs raw binary COPY (postgresql)",
                    ratio(ms["raw"], ms["labkit"]), target_max=1.25)


def _bulk_insert_sqlite(settings: Settings, rows: int, reps: tuple[int, int]) -> list[BenchRow]:
    path = Path(settings.sqlite_path).with_name("labkit-bench-db.sqlite3")
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()
    engine = make_engine(settings, url=f"sqlite:///{path}")
    METADATA.create_all(engine, tables=[EVENTS])
    factory = session_factory(engine)
    records = event_rows(rows)
    tuples = [tuple(r[c] for c in EVENT_COLUMNS) for r in records]
    # sqlite3 stores no datetimes: text in SQLAlchemy's format, made by an adapter (raw) or
    # made in advance (the "pre-converted" row, which leaves all conversion out of the raw side)
    stamp = EVENTS.c.created_at.type._cached_bind_processor(engine.dialect)
    assert stamp is not None
    texts = [(a, b, c, stamp(d)) for a, b, c, d in tuples]
    conn = sqlite3.connect(path, isolation_level=None)
    for name, value in SQLITE_PRAGMAS.items():
        conn.execute(f"PRAGMA {name}={value}")
    statement = "INSERT INTO bench_events (user_id, kind, amount, created_at) VALUES (?, ?, ?, ?)"
    adapter_key = (datetime, sqlite3.PrepareProtocol)

    def raw_executemany() -> None:
        """raw sqlite3 executemany of tuples in one transaction, datetimes adapted by sqlite3"""
        previous = sqlite3.adapters.get(adapter_key)
        sqlite3.register_adapter(datetime, _sqlite_datetime)
        try:
            conn.execute("BEGIN")
            conn.executemany(statement, tuples)
            conn.execute("COMMIT")
        finally:
            if previous is None:
                sqlite3.adapters.pop(adapter_key, None)
            else:
                sqlite3.adapters[adapter_key] = previous

    def raw_preconverted() -> None:
        """raw sqlite3 executemany of tuples already holding text timestamps"""
        conn.execute("BEGIN")
        conn.executemany(statement, texts)
        conn.execute("COMMIT")

    def labkit_insert() -> None:
        """labkit bulk_insert of dicts in a unit of work"""
        with unit_of_work(factory) as session:
            bulk_insert(session, EVENTS, records)

    try:
        ms = _measure({"raw": raw_executemany, "pre": raw_preconverted, "labkit": labkit_insert}, *reps)
    finally:
        conn.close()
        engine.dispose()
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
    label = f"bulk_insert {rows // 1000}k rows vs raw executemany"
    return [
        BenchRow(SUITE, f"{label} (sqlite)", ratio(ms["raw"], ms["labkit"]), target_max=1.25),
        BenchRow(SUITE, f"{label}, timestamps pre-converted (sqlite)", ratio(ms["pre"], ms["labkit"])),
    ]


def _sqlite_datetime(value: datetime) -> str:
    return value.isoformat(" ", "microseconds")[:26]


def _bulk_update_postgres(engine: Engine, options: str, raw: str, rows: int, reps: tuple[int, int]) -> BenchRow:
    METADATA.create_all(engine, tables=[ACCOUNTS])
    factory = session_factory(engine)
    with unit_of_work(factory) as session:
        bulk_insert(session, ACCOUNTS, [{"id": i, "balance": 0.0, "status": "new"} for i in range(1, rows + 1)])
    conn = psycopg.connect(raw, options=options)
    # the same new values every call (PostgreSQL writes a new row version regardless)
    values = [(i, float(i) * 1.5, "active") for i in range(1, rows + 1)]
    updates = [{"id": i, "balance": b, "status": s} for i, b, s in values]

    def raw_update() -> None:
        """raw temporary table + binary COPY + UPDATE FROM"""
        with conn.cursor() as cur:
            cur.execute("CREATE TEMPORARY TABLE stage ON COMMIT DROP AS "
                        "SELECT id, balance, status FROM bench_accounts WITH NO DATA")
            with cur.copy("COPY stage (id, balance, status) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types([23, 701, 1043])
                for row in values:
                    copy.write_row(row)
            cur.execute("UPDATE bench_accounts AS t SET balance = s.balance, status = s.status "
                        "FROM stage AS s WHERE t.id = s.id")
        conn.commit()

    def labkit_update() -> None:
        """labkit bulk_update of dicts in a unit of work"""
        with unit_of_work(factory) as session:
            bulk_update(session, ACCOUNTS, updates)

    try:
        ms = _measure({"raw": raw_update, "labkit": labkit_update}, *reps)
    finally:
        conn.close()
    return BenchRow(SUITE, f"bulk_update {rows // 1000}k rows vs temp table + COPY + UPDATE FROM (postgresql)",
                    ratio(ms["raw"], ms["labkit"]), target_max=1.5)


class _Students(BaseRepository[Student]):
    model = Student


def _reads_postgres(engine: Engine, students: int, reps: tuple[int, int]) -> list[BenchRow]:
    create_schema(engine)
    with unit_of_work(session_factory(engine)) as session:
        write_demo_data(session, demo_data(students=students, courses=50, enrollments_per_student=5, seed=1))
    factory = session_factory(engine)
    s, p, e, c = Student.__table__, Profile.__table__, Enrollment.__table__, Course.__table__
    join = (select(s.c.id, s.c.name, s.c.email, p.c.level, c.c.id.label("course_id"), c.c.title)
            .select_from(s.outerjoin(p, p.c.student_id == s.c.id).outerjoin(e, e.c.student_id == s.c.id)
                         .outerjoin(c, c.c.id == e.c.course_id)))
    fields = ["id", "name", "email", "profile.level", "courses.id", "courses.title"]

    def core_join() -> None:
        """hand-written Core join, plain rows"""
        with engine.connect() as conn:
            conn.execute(join).all()

    def find_all() -> None:
        """find_all with profile (joinedload) and courses (selectinload)"""
        with factory() as session:
            for student in _Students(session).find_all(load_relationships=["profile", "courses"]):
                _ = student.profile, student.courses

    def projection() -> None:
        """repository rows(): the projection path"""
        with factory() as session:
            _Students(session).rows(fields)

    def lazy() -> None:
        """lazy loading: one SELECT per student and relationship (N+1)"""
        with factory() as session:
            for student in session.scalars(select(Student)):
                _ = student.profile, student.courses

    with expect_queries(engine, max=3) as budget:
        find_all()
    # one pair per run: the heavy ORM case does not sit between the two light ones
    objects = _measure({"core": core_join, "find_all": find_all}, *reps)
    plain = _measure({"core": core_join, "rows": projection}, *reps)
    lazy_ms = _measure({"core": core_join, "lazy": lazy}, max(3, reps[0] // 4), 1)
    return [
        BenchRow(SUITE, f"find_all {students} students + profile + courses ({budget.count} statements) vs Core join",
                 ratio(objects["core"], objects["find_all"]), target_max=10.0),
        BenchRow(SUITE, f"repository rows() projection vs Core join ({students} students)",
                 ratio(plain["core"], plain["rows"]), target_max=1.3),
        BenchRow(SUITE, f"lazy loading (N+1) vs Core join ({students} students)",
                 ratio(lazy_ms["core"], lazy_ms["lazy"])),
    ]


def _monitor_overhead(engine: Engine, settings: Settings, reps: tuple[int, int], selects: int) -> BenchRow:
    # Both cases share one pool, hence one server backend; only the monitored engine is watched.
    watched = engine.execution_options(labkit_monitored=True)
    monitor = QueryMonitor(settings, slow_query_ms=float("inf")).attach(watched)
    statement = select(Student.name).where(Student.id == 7)

    def bare() -> None:
        """Core primary-key selects, no monitor"""
        with engine.connect() as conn:
            for _ in range(selects):
                conn.execute(statement).scalar_one()

    def monitored() -> None:
        """Core primary-key selects, QueryMonitor attached"""
        with watched.connect() as conn:
            for _ in range(selects):
                conn.execute(statement).scalar_one()

    ms = _measure({"bare": bare, "monitored": monitored}, *reps)
    monitor.detach_all()
    if monitor.total_count == 0:
        raise LabError("the monitored case ran no statement through the monitor")
    return BenchRow(SUITE, "QueryMonitor overhead on a Core primary-key select (postgresql)",
                    ratio(ms["bare"], ms["monitored"]), target_max=1.15)


def run(settings: Settings, *, quick: bool = False) -> list[BenchRow]:
    """Every data-layer comparison; `quick` shrinks rows and repeats to a smoke run."""
    insert_rows, update_rows, students = (5_000, 1_000, 100) if quick else (100_000, 10_000, 1000)
    reps = (2, 1) if quick else (15, 2)
    read_reps = (3, 1) if quick else (30, 3)
    raw = _pg_url(settings)
    rows = _bulk_insert_sqlite(settings, insert_rows, reps)
    with _pg_schema(settings) as (engine, options):
        rows.append(_bulk_insert_postgres(engine, options, raw, insert_rows, reps))
        rows.append(_bulk_update_postgres(engine, options, raw, update_rows, (reps[0] * 2, reps[1])))
        rows.extend(_reads_postgres(engine, students, read_reps))
        rows.append(_monitor_overhead(engine, settings, (4, 1) if quick else (60, 5), 20 if quick else 100))
    return rows
