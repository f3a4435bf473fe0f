"""03_bulk_writes, updates: a progress sync that sets `progress` and `completed` of N enrollments by key.

Enrollments are the demo domain's (key: student_id, course_id). Two sets of new values
alternate call by call, so every call really changes every row — the ORM skips an UPDATE whose
values did not change, which would flatter it. The ORM, Core and labkit ways come from
`labkit.lab.strategies`; the raw driver's way is here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from sqlalchemy import func, select

from labkit.db import session_factory, unit_of_work
from labkit.lab.bench import Cases
from labkit.lab.demo import (
    Course,
    DemoData,
    Enrollment,
    Profile,
    Student,
    create_schema,
    demo_data,
    write_demo_data,
)
from labkit.lab.errors import ParameterError
from labkit.lab.experiments.scratch_db import ScratchDatabase
from labkit.lab.strategies import UPDATE_STRATEGIES

__all__ = ["UPDATES", "ROW_AT_A_TIME", "UpdateBench"]

UPDATES = Cases()
ROW_AT_A_TIME = frozenset({"orm_per_row"})
_PER_STUDENT = 5


class UpdateBench:
    """N enrollments in the table, two alternating sets of new values in every form a strategy takes."""

    def __init__(self, db: ScratchDatabase, rows: int, *, courses: int = 50, seed: int = 0) -> None:
        if rows < 1:
            raise ParameterError(f"rows must be >= 1, got {rows}")
        self.db = db
        self.rows = rows
        self.factory = session_factory(db.engine)
        students = math.ceil(rows / _PER_STUDENT)
        data = demo_data(students=students, courses=max(courses, _PER_STUDENT),
                         enrollments_per_student=_PER_STUDENT, seed=seed)
        enrollments = data.enrollments[:rows]
        create_schema(db.engine)
        db.empty([m.__table__ for m in (Enrollment, Profile, Student, Course)])  # type: ignore[misc]
        with unit_of_work(self.factory) as session:
            write_demo_data(session, DemoData(data.courses, data.students, data.profiles, enrollments))
        self.keys = [(e["student_id"], e["course_id"]) for e in enrollments]
        self.sets = [self._values(enrollments, shift) for shift in (0.25, 0.5)]
        self._turn = itertools.cycle((0, 1))
        self.last: int | None = None

    @staticmethod
    def _values(enrollments: list[dict[str, Any]], shift: float) -> dict[str, list[Any]]:
        dicts = []
        for e in enrollments:
            progress = round((e["progress"] + shift) % 1.0, 3)
            dicts.append({"student_id": e["student_id"], "course_id": e["course_id"], "progress": progress,
                          "completed": progress > 0.95})
        return {
            "dicts": dicts,
            "key_first": [(d["student_id"], d["course_id"], d["progress"], d["completed"]) for d in dicts],
            "key_last": [(d["progress"], int(d["completed"]), d["student_id"], d["course_id"]) for d in dicts],
        }

    def next_values(self, form: str) -> list[Any]:
        """The other set than the last call wrote, in `form` (dicts, key_first, key_last)."""
        self.last = next(self._turn)
        return self.sets[self.last][form]

    @cached_property
    def raw(self) -> Any:
        """One raw driver connection for the raw case (closed by `close`)."""
        return self.db.raw_connection()

    def cases(self, names: Sequence[str] | None = None) -> dict[str, Callable[[], object]]:
        """Zero-argument cases, one per strategy (all, or `names`)."""
        out: dict[str, Callable[[], object]] = {}
        for name, fn in UPDATES.select(list(names) if names else None).items():
            def case(fn: Callable[..., object] = fn) -> object:
                return fn(self)

            case.__name__, case.__doc__ = fn.__name__, fn.__doc__
            out[name] = case
        return out

    def tidy(self) -> None:
        """Between rounds, untimed: let PostgreSQL reclaim the row versions the updates left behind."""
        if self.db.backend == "postgresql":
            with self.db.raw_connection() as conn:
                conn.autocommit = True
                conn.execute("VACUUM enrollments")

    def holds_last_values(self) -> bool:
        """Whether the table holds exactly the values of the last call (every row was written)."""
        if self.last is None:
            return False
        expected = round(sum(d["progress"] for d in self.sets[self.last]["dicts"]), 3)
        with self.db.engine.connect() as conn:
            total = conn.execute(select(func.sum(Enrollment.progress))).scalar_one()
        return round(float(total), 3) == expected

    def close(self) -> None:
        if "raw" in self.__dict__:
            self.raw.close()


def _shared(fn: Callable[..., object]) -> Callable[[UpdateBench], int]:
    """A strategy of `labkit.lab.strategies`, called with the bench's factory and the next set of values."""

    def run(bench: UpdateBench) -> int:
        values = bench.next_values("dicts")
        fn(bench.factory, Enrollment, values)
        return len(values)

    run.__name__, run.__doc__ = fn.__name__, fn.__doc__
    return run


for _name in UPDATE_STRATEGIES:
    UPDATES.register(_shared(UPDATE_STRATEGIES[_name]))


@UPDATES.register
def raw(bench: UpdateBench) -> int:
    """raw driver: temp table + COPY + UPDATE FROM, sqlite3 executemany"""
    conn = bench.raw
    if bench.db.backend == "postgresql":
        values = bench.next_values("key_first")
        with conn.cursor() as cur:
            cur.execute("CREATE TEMPORARY TABLE stage ON COMMIT DROP AS "
                        "SELECT student_id, course_id, progress, completed FROM enrollments WITH NO DATA")
            with cur.copy("COPY stage (student_id, course_id, progress, completed) FROM STDIN (FORMAT BINARY)"
                          ) as copy:
                copy.set_types(["int4", "int4", "float8", "bool"])
                for row in values:
                    copy.write_row(row)
            cur.execute("UPDATE enrollments AS t SET progress = s.progress, completed = s.completed "
                        "FROM stage AS s WHERE t.student_id = s.student_id AND t.course_id = s.course_id")
        conn.commit()
    else:
        values = bench.next_values("key_last")
        conn.execute("BEGIN")
        conn.executemany("UPDATE enrollments SET progress = ?, completed = ? WHERE student_id = ? AND course_id = ?",
                         values)
        conn.execute("COMMIT")
    return len(values)
