"""Ways to read N students, each measured in a fresh forked process that reports memory and time.

Every case computes the same digest of (id, name, is_active) over the rows, so they do the same
work and only differ in what they hold in memory while doing it. `python -m
labkit.lab.experiments.memory.cases` reads a JSON list of jobs on stdin, imports everything once, and
forks one clean child per job (so no job pays the imports, and none inherits another's heap).
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from labkit.db import make_engine
from labkit.lab.bench.cases import Cases
from labkit.lab.bench.memory import measure_memory
from labkit.lab.demo import Student, StudentRepository

__all__ = ["CASES", "BATCH", "digest", "engine_for", "measure_case", "measure_in_fork", "main"]

BATCH = 1000  # rows per batch when streaming
CASES = Cases()
_FIELDS = ["id", "name", "is_active"]


def digest(rows: Iterable[Any]) -> list[int]:
    """What every case computes: row count, sum of ids, sum of name lengths, active count."""
    count = ids = chars = active = 0
    for sid, name, is_active in rows:
        count += 1
        ids += sid
        chars += len(name)
        active += bool(is_active)
    return [count, ids, chars, active]


def _students(rows: int) -> Any:
    return select(Student).order_by(Student.id).limit(rows)


def _table_columns() -> Any:
    return Student.__table__.c  # type: ignore[attr-defined]


@CASES.register
def orm_objects(session: Session, rows: int) -> list[int]:
    """ORM objects, all loaded (.all())"""
    students = session.scalars(_students(rows)).all()
    return digest((s.id, s.name, s.is_active) for s in students)


@CASES.register
def orm_yield_per(session: Session, rows: int) -> list[int]:
    """ORM objects, streamed (yield_per)"""
    streamed = session.scalars(_students(rows).execution_options(yield_per=BATCH))
    return digest((s.id, s.name, s.is_active) for s in streamed)


@CASES.register
def core_rows(session: Session, rows: int) -> list[int]:
    """Core rows, every column, all loaded"""
    c = _table_columns()
    found = session.connection().execute(select(Student.__table__).order_by(c.id).limit(rows)).all()
    return digest((r.id, r.name, r.is_active) for r in found)


@CASES.register
def core_projection(session: Session, rows: int) -> list[int]:
    """Core tuples, 3 columns, all loaded"""
    c = _table_columns()
    found = session.connection().execute(select(c.id, c.name, c.is_active).order_by(c.id).limit(rows)).all()
    return digest(found)


@CASES.register
def core_projection_stream(session: Session, rows: int) -> list[int]:
    """Core tuples, 3 columns, streamed"""
    c = _table_columns()
    statement = select(c.id, c.name, c.is_active).order_by(c.id).limit(rows)
    result = session.connection().execution_options(yield_per=BATCH).execute(statement)
    return digest(row for part in result.partitions() for row in part)


@CASES.register
def labkit_rows(session: Session, rows: int) -> list[int]:
    """labkit projection path (repository.rows)"""
    return digest(StudentRepository(session).rows(_FIELDS, order_by="id", limit=rows))


def engine_for(url: str, schema: str | None = None) -> Engine:
    """A labkit engine for the case; on PostgreSQL the experiment's schema goes first on the path."""
    if schema and url.startswith("postgres"):
        return make_engine(url=url, connect_args={"connect_timeout": 5, "options": f"-csearch_path={schema}"})
    return make_engine(url=url)


def measure_case(engine: Engine, case: str, rows: int) -> dict[str, Any]:
    """Warm the case up on a few rows, then measure it: RSS and time untraced, Python peak traced."""
    fn = CASES[case]

    def once(n: int) -> tuple[list[int], float]:
        with Session(engine) as session:
            started = time.perf_counter()
            out = fn(session, n)
            return out, time.perf_counter() - started  # type: ignore[return-value]

    once(min(rows, 10))  # connect, configure mappers, compile the statement
    gc.collect()
    plain = measure_memory(lambda: once(rows), trace_python=False)
    gc.collect()
    traced = measure_memory(lambda: once(rows), trace_python=True)
    answer, seconds = plain.result
    if traced.result[0] != answer:
        raise AssertionError(f"{case} gave two answers: {answer} and {traced.result[0]}")
    return {"case": case, "rows": rows, "rss_before": plain.rss_before, "rss_peak": plain.rss_peak,
            "rss_growth": plain.rss_growth, "python_peak": traced.python_peak, "seconds": seconds,
            "digest": answer}


def measure_in_fork(job: dict[str, Any]) -> dict[str, Any]:
    """Run `measure_case` for one job (url, schema, case, rows) in a forked child; its answer, or its error."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: measure, report through the pipe, never return into the parent's code
        os.close(read_fd)
        code = 0
        try:
            engine = engine_for(job["url"], job.get("schema"))
            try:
                payload = json.dumps(measure_case(engine, job["case"], int(job["rows"])))
            finally:
                engine.dispose()
        except BaseException as exc:  # noqa: BLE001 - every failure is reported to the parent
            payload, code = json.dumps({"error": f"{type(exc).__name__}: {exc}"}), 1
        with os.fdopen(write_fd, "w") as pipe:
            pipe.write(payload)
        os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not data:
        return {"error": f"the child measuring {job.get('case')!r} died (wait status {status})"}
    return json.loads(data)  # type: ignore[no-any-return]


def main() -> int:
    """Driver: a JSON list of jobs on stdin; one JSON line per job on stdout, in order."""
    jobs = json.load(sys.stdin)
    gc.freeze()  # the driver's own objects stay out of every child's collections
    for job in jobs:
        print(json.dumps(measure_in_fork(job)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
