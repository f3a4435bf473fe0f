"""02_n_plus_one: N students with their profile and courses, read by every loading strategy.

Each strategy is a small function registered in `STRATEGIES` (its docstring is its label) that
reads students 1..N and returns the same learning-path digest, so the notebook can check that
all strategies agree before it counts their statements and times them.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
from sqlalchemy import bindparam, orm, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from labkit.db import Range, session_factory, unit_of_work
from labkit.lab.bench import Cases, label_of
from labkit.lab.demo import (
    Course,
    Enrollment,
    Profile,
    Student,
    StudentRepository,
    create_schema,
    demo_data,
    write_demo_data,
)
from labkit.lab.errors import ParameterError
from labkit.monitor import QueryMonitor
from labkit.settings import Settings

__all__ = [
    "STRATEGIES",
    "LearningPath",
    "seed_students",
    "loading_cases",
    "profile_cases",
    "count_statements",
    "answers_agree",
]

LearningPath = tuple[int, str, "str | None", tuple[int, ...]]  # student id, name, level, course ids

STRATEGIES = Cases()

_S, _P, _E, _C = (m.__table__ for m in (Student, Profile, Enrollment, Course))
# The join a developer writes by hand: every student with profile and courses, flat rows.
_CORE_JOIN = (
    select(_S.c.id, _S.c.name, _P.c.level, _C.c.id.label("course_id"))
    .select_from(_S.outerjoin(_P, _P.c.student_id == _S.c.id)
                 .outerjoin(_E, _E.c.student_id == _S.c.id)
                 .outerjoin(_C, _C.c.id == _E.c.course_id))
    .where(_S.c.id <= bindparam("n"))
    .order_by(_S.c.id, _C.c.id)
)
_FIELDS = ("id", "name", "profile.level", "courses.id")
_LOADS = ["profile", "courses"]


def _first(n: int) -> Any:
    return select(Student).where(Student.id <= n).order_by(Student.id)


def _paths(students: Iterable[Student]) -> list[LearningPath]:
    """What an endpoint reads off each student object: this touches `profile` and `courses`."""
    return [(s.id, s.name, s.profile.level if s.profile else None, tuple(c.id for c in s.courses))
            for s in students]


def _grouped(rows: Iterable[Any]) -> list[LearningPath]:
    """The same learning paths from flat join rows ordered by student and course."""
    out: list[list[Any]] = []
    for sid, name, level, course_id in rows:
        if not out or out[-1][0] != sid:
            out.append([sid, name, level, []])
        if course_id is not None:
            out[-1][3].append(course_id)
    return [(a, b, c, tuple(d)) for a, b, c, d in out]


@STRATEGIES.register
def lazy(session: Session, n: int) -> list[LearningPath]:
    """lazy loading (N+1)"""
    return _paths(session.scalars(_first(n)))


@STRATEGIES.register
def selectinload(session: Session, n: int) -> list[LearningPath]:
    """selectinload, profile and courses (the seed's fix)"""
    statement = _first(n).options(orm.selectinload(Student.profile), orm.selectinload(Student.courses))
    return _paths(session.scalars(statement))


@STRATEGIES.register
def joinedload(session: Session, n: int) -> list[LearningPath]:
    """joinedload, profile and courses"""
    statement = _first(n).options(orm.joinedload(Student.profile), orm.joinedload(Student.courses))
    return _paths(session.scalars(statement).unique())


@STRATEGIES.register
def subqueryload(session: Session, n: int) -> list[LearningPath]:
    """subqueryload, profile and courses"""
    statement = _first(n).options(orm.subqueryload(Student.profile), orm.subqueryload(Student.courses))
    return _paths(session.scalars(statement))


@STRATEGIES.register
def core_join(session: Session, n: int) -> list[LearningPath]:
    """Core join written by hand, plain rows"""
    return _grouped(session.connection().execute(_CORE_JOIN, {"n": n}))


@STRATEGIES.register
def find_all(session: Session, n: int) -> list[LearningPath]:
    """labkit find_all(load_relationships=[profile, courses])"""
    return _paths(StudentRepository(session).find_all({"id": Range(le=n)}, _LOADS, order_by="id"))


@STRATEGIES.register
def projection(session: Session, n: int) -> list[LearningPath]:
    """labkit rows(): the projection path"""
    rows = StudentRepository(session).rows(_FIELDS, {"id": Range(le=n)}, order_by=["id", "courses.id"])
    return _grouped(rows)


def seed_students(engine: Engine, students: int, *, courses: int = 50, enrollments_per_student: int = 5,
                  seed: int = 0) -> dict[str, int]:
    """Create the demo tables and fill them with the seeded learning platform (rows per table)."""
    create_schema(engine)
    data = demo_data(students=students, courses=courses, enrollments_per_student=enrollments_per_student,
                     seed=seed)
    with unit_of_work(session_factory(engine)) as session:
        return write_demo_data(session, data)


def _in_session(factory: sessionmaker[Session], fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    """A zero-argument case for the harness: a fresh session per call, labelled like `fn`."""

    def case() -> Any:
        with factory() as session:
            return fn(session, *args)

    case.__name__, case.__doc__ = fn.__name__, fn.__doc__
    return case


def loading_cases(engine: Engine, n: int, names: Sequence[str] | None = None) -> dict[str, Callable[[], Any]]:
    """Each strategy (all, or `names`) as a zero-argument case reading students 1..n."""
    factory = session_factory(engine)
    return {name: _in_session(factory, fn, n) for name, fn in STRATEGIES.select(list(names) if names else None).items()}


def profile_cases(engines: Mapping[str, Engine], query: str, *, students: int, page: int
                  ) -> dict[str, Callable[[], Any]]:
    """One query on each engine profile: `simple_select` (one student by primary key, a different one
    each call) or `join_query` (the Core join of one page of students)."""
    cases: dict[str, Callable[[], Any]] = {}
    for profile, engine in engines.items():
        factory = session_factory(engine)
        if query == "simple_select":
            ids: Iterator[int] = itertools.cycle(range(1, students + 1))

            def get(session: Session, ids: Iterator[int] = ids) -> Any:
                return session.get(Student, next(ids)).name  # type: ignore[union-attr]

            fn: Callable[..., Any] = get
            args: tuple[Any, ...] = ()
        elif query == "join_query":
            fn, args = core_join, (min(page, students),)
        else:
            raise ParameterError(f"query={query!r} is not valid: expected simple_select or join_query")
        case = _in_session(factory, fn, *args)
        case.__name__ = profile
        case.__doc__ = _PROFILE_LABELS.get(profile, profile)
        cases[profile] = case
    return cases


_PROFILE_LABELS = {
    "baseline": "baseline engine: no pool, driver defaults",
    "optimized": "optimized engine: QueuePool, tuned SQLite",
}


def _digest(answer: Any) -> str:
    return hashlib.sha256(repr(answer).encode()).hexdigest()[:12]


@contextmanager
def _quiet_monitor_log() -> Iterator[None]:
    """N+1 findings go into the results table here, not to the notebook's stderr."""
    logger = logging.getLogger("labkit.monitor")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def count_statements(engine: Engine, cases: Mapping[str, Callable[[], Any]], *, settings: Settings | None = None,
                     n_plus_one_threshold: int = 10) -> pd.DataFrame:
    """Run each case once under a QueryMonitor scope: statements, whether the N+1 detector fired,
    and a digest of the answer (one tidy row per case, unit `statements`)."""
    monitor = QueryMonitor(settings, slow_query_ms=float("inf"), n_plus_one_threshold=n_plus_one_threshold)
    monitor.attach(engine)
    rows = []
    try:
        with _quiet_monitor_log():
            for name, case in cases.items():
                with monitor.scope(name, raise_on_n_plus_one=False) as scope:
                    answer = case()
                rows.append({"case": name, "label": label_of(case, name), "phase": "sample", "iteration": 0,
                             "value": float(scope.count), "unit": "statements",
                             "n_plus_one": bool(scope.n_plus_one), "answer": _digest(answer)})
    finally:
        monitor.detach(engine)
    return pd.DataFrame(rows)


def answers_agree(counts: pd.DataFrame) -> None:
    """Raise naming the strategies whose answer differs from the first one's (same data, same reads)."""
    by = [c for c in ("backend", "kind", "students", "parents", "children") if c in counts]
    for where, group in (counts.groupby(by, sort=False) if by else [((), counts)]):
        digests = dict(zip(group["case"], group["answer"]))
        first = next(iter(digests.values()))
        odd = [case for case, digest in digests.items() if digest != first]
        if odd:
            raise AssertionError(f"strategies {odd} read a different answer than {next(iter(digests))} "
                                 f"at {dict(zip(by, where))}")
