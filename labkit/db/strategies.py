"""Ways to write and read the same data, registered by name and labelled by docstring.

Notebooks and the benchmark suites run these side by side: the seed's strategies (a commit
per row, `add_all`, ORM bulk statements, lazy loading) beside labkit's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from labkit.bench import Cases
from labkit.db.bulk import bulk_insert, bulk_update
from labkit.db.learning_paths import StudentRepository
from labkit.db.models import Student
from labkit.db.sessions import unit_of_work

__all__ = ["INSERT_STRATEGIES", "UPDATE_STRATEGIES", "LOAD_STRATEGIES"]

Records = Sequence[Mapping[str, Any]]
Factory = sessionmaker[Session]

INSERT_STRATEGIES = Cases()
UPDATE_STRATEGIES = Cases()
LOAD_STRATEGIES = Cases()


@INSERT_STRATEGIES.register
def commit_per_row(factory: Factory, model: type, records: Records) -> None:
    """ORM: add and commit one row at a time"""
    with factory() as session:
        for record in records:
            session.add(model(**record))
            session.commit()


@INSERT_STRATEGIES.register
def add_all(factory: Factory, model: type, records: Records) -> None:
    """ORM: add_all, one commit"""
    with unit_of_work(factory) as session:
        session.add_all([model(**record) for record in records])


@INSERT_STRATEGIES.register
def orm_bulk_insert(factory: Factory, model: type, records: Records) -> None:
    """ORM bulk insert: session.execute(insert(Model), records)"""
    with unit_of_work(factory) as session:
        session.execute(insert(model), list(records))


@INSERT_STRATEGIES.register
def labkit_bulk_insert(factory: Factory, model: type, records: Records) -> None:
    """labkit bulk_insert (COPY on PostgreSQL, executemany of tuples on SQLite)"""
    with unit_of_work(factory) as session:
        bulk_insert(session, model, records)


@UPDATE_STRATEGIES.register
def orm_bulk_update(factory: Factory, model: type, updates: Records) -> None:
    """ORM bulk update by primary key: session.execute(update(Model), updates)"""
    with unit_of_work(factory) as session:
        session.execute(update(model), list(updates))


@UPDATE_STRATEGIES.register
def labkit_bulk_update(factory: Factory, model: type, updates: Records) -> None:
    """labkit bulk_update (temporary table + COPY + UPDATE FROM on PostgreSQL)"""
    with unit_of_work(factory) as session:
        bulk_update(session, model, updates)


def _touch(students: Sequence[Student]) -> int:
    return sum(len(s.courses) + (s.profile is not None) for s in students)


@LOAD_STRATEGIES.register
def lazy(factory: Factory) -> int:
    """lazy loading: one SELECT per student and relationship (N+1)"""
    with factory() as session:
        return _touch(session.scalars(select(Student)).all())


@LOAD_STRATEGIES.register
def selectin_everything(factory: Factory) -> int:
    """selectinload for profile and courses"""
    with factory() as session:
        statement = select(Student).options(selectinload(Student.profile), selectinload(Student.courses))
        return _touch(session.scalars(statement).all())


@LOAD_STRATEGIES.register
def find_all(factory: Factory) -> int:
    """labkit find_all: joinedload profile, selectinload courses"""
    with factory() as session:
        return _touch(StudentRepository(session).find_all(load_relationships=["profile", "courses"]))


@LOAD_STRATEGIES.register
def projection(factory: Factory) -> int:
    """labkit rows(): one join, plain rows"""
    with factory() as session:
        return len(StudentRepository(session).rows(["id", "name", "profile.level", "courses.id", "courses.title"]))
