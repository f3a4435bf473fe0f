"""Ways to write and read the same data, registered by name and labelled by docstring.

Notebooks and the benchmark suites run these side by side: the seed's strategies (a commit
per row, `add_all`, ORM bulk statements, lazy loading), plain Core executemany, and labkit's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from labkit.db.bulk import bulk_insert, bulk_update
from labkit.db.bulk_plan import table_of
from labkit.db.sessions import unit_of_work
from labkit.lab.bench import Cases
from labkit.lab.demo.learning_paths import StudentRepository
from labkit.lab.demo.models import Student

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
def core_insert(factory: Factory, model: type, records: Records) -> None:
    """Core executemany: connection.execute(insert(table), records)"""
    with unit_of_work(factory) as session:
        session.connection().execute(insert(table_of(model)), list(records))


@INSERT_STRATEGIES.register
def labkit_bulk_insert(factory: Factory, model: type, records: Records) -> None:
    """labkit bulk_insert (COPY on PostgreSQL, executemany of tuples on SQLite)"""
    with unit_of_work(factory) as session:
        bulk_insert(session, model, records)


@UPDATE_STRATEGIES.register
def orm_per_row(factory: Factory, model: type, updates: Records) -> None:
    """ORM: get each row by primary key, set it, one commit"""
    keys = [column.key for column in table_of(model).primary_key.columns]
    with unit_of_work(factory) as session:
        for values in updates:
            obj = session.get(model, tuple(values[k] for k in keys))
            for name, value in values.items():
                if name not in keys:
                    setattr(obj, name, value)


@UPDATE_STRATEGIES.register
def orm_bulk_update(factory: Factory, model: type, updates: Records) -> None:
    """ORM bulk update by primary key: session.execute(update(Model), updates)"""
    with unit_of_work(factory) as session:
        session.execute(update(model), list(updates))


@UPDATE_STRATEGIES.register
def core_update(factory: Factory, model: type, updates: Records) -> None:
    """Core executemany: UPDATE … SET … WHERE key = :key, one row of parameters per record"""
    rows = list(updates)
    if not rows:
        return
    table = table_of(model)
    keys = [column.key for column in table.primary_key.columns]
    names = [name for name in rows[0] if name not in keys]
    statement = (update(table).where(*[table.c[k] == bindparam(f"k_{k}") for k in keys])
                 .values({name: bindparam(f"v_{name}") for name in names}))
    params = [{**{f"k_{k}": row[k] for k in keys}, **{f"v_{n}": row[n] for n in names}} for row in rows]
    with unit_of_work(factory) as session:
        session.connection().execute(statement, params)


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
