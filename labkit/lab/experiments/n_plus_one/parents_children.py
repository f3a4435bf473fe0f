"""The shape of SQLAlchemy's published loading experiment: parents, each with a collection of children.

Full size is 1,000 parents × 100 children, loaded with lazyload, joinedload and subqueryload
(selectinload beside them, as today's recommendation). Its own tables, so it never touches the
demo domain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import ForeignKey, Integer, MetaData, String, orm, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from labkit.db import bulk_insert, session_factory, unit_of_work
from labkit.lab.bench import Cases
from labkit.lab.errors import ParameterError

__all__ = ["PARENT_STRATEGIES", "Parent", "Child", "seed_parents", "parent_cases"]

PARENT_STRATEGIES = Cases()


class _Base(DeclarativeBase):
    metadata = MetaData()


class Parent(_Base):
    """A parent row with a collection of children."""

    __tablename__ = "sqla_parent"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[str] = mapped_column(String(30))
    children: Mapped[list[Child]] = relationship(back_populates="parent", order_by="Child.id")


class Child(_Base):
    """A child row pointing at its parent."""

    __tablename__ = "sqla_child"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("sqla_parent.id"), index=True)
    data: Mapped[str] = mapped_column(String(30))

    parent: Mapped[Parent] = relationship(back_populates="children")


def _touch(parents: Iterable[Parent]) -> tuple[int, int]:
    """Walk every child of every parent; (children seen, sum of their ids) is the answer."""
    seen = total = 0
    for parent in parents:
        for child in parent.children:
            seen += 1
            total += child.id
    return seen, total


def _all() -> Any:
    return select(Parent).order_by(Parent.id)


@PARENT_STRATEGIES.register
def lazyload(session: Session) -> tuple[int, int]:
    """lazyload"""
    return _touch(session.scalars(_all().options(orm.lazyload(Parent.children))))


@PARENT_STRATEGIES.register
def joinedload(session: Session) -> tuple[int, int]:
    """joinedload"""
    return _touch(session.scalars(_all().options(orm.joinedload(Parent.children))).unique())


@PARENT_STRATEGIES.register
def subqueryload(session: Session) -> tuple[int, int]:
    """subqueryload"""
    return _touch(session.scalars(_all().options(orm.subqueryload(Parent.children))))


@PARENT_STRATEGIES.register
def selectinload(session: Session) -> tuple[int, int]:
    """selectinload (not in the published table)"""
    return _touch(session.scalars(_all().options(orm.selectinload(Parent.children))))


def seed_parents(engine: Engine, parents: int, children: int) -> int:
    """Create the two tables and write `parents` × `children` rows with labkit's bulk insert."""
    if parents < 1 or children < 0:
        raise ParameterError(f"parents={parents}, children={children}: expected parents >= 1 and children >= 0")
    _Base.metadata.create_all(engine)
    with unit_of_work(session_factory(engine)) as session:
        bulk_insert(session, Parent, [{"id": p, "data": f"parent {p}"} for p in range(1, parents + 1)])
        rows = ({"id": (p - 1) * children + c, "parent_id": p, "data": f"child {c} of {p}"}
                for p in range(1, parents + 1) for c in range(1, children + 1))
        return bulk_insert(session, Child, list(rows), batch_size=10_000)


def parent_cases(engine: Engine, names: Sequence[str] | None = None) -> dict[str, Callable[[], Any]]:
    """Each strategy as a zero-argument case: load every parent and walk its children."""
    factory = session_factory(engine)
    cases: dict[str, Callable[[], Any]] = {}
    for name, fn in PARENT_STRATEGIES.select(list(names) if names else None).items():
        def case(fn: Callable[..., Any] = fn) -> Any:
            with factory() as session:
                return fn(session)

        case.__name__, case.__doc__ = fn.__name__, fn.__doc__
        cases[name] = case
    return cases
