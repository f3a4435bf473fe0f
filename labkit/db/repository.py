"""Repositories handed their session: reads with filters and eager loading, projections, adds.

The repository never commits; the unit of work around it does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import Column, Row, Select, func, inspect, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from labkit.db.queries import Filters, load_options, select_models, select_rows, where_clauses
from labkit.errors import RepositoryModelError

__all__ = ["BaseRepository", "AsyncBaseRepository"]

M = TypeVar("M")
S = TypeVar("S", Session, AsyncSession)


class _Shape(Generic[M, S]):
    """What both flavours share: the model, the session handed in, and how to build their statements."""

    model: type[M]
    session: S

    def __init__(self, session: S, model: type[M] | None = None) -> None:
        if model is not None:
            self.model = model
        if getattr(self, "model", None) is None:
            raise RepositoryModelError(f"{type(self).__name__} needs a model: pass model= or set the class attribute")
        self.session = session

    def _key_column(self) -> Column[Any]:
        keys: tuple[Column[Any], ...] = inspect(self.model).primary_key
        if len(keys) != 1:
            raise RepositoryModelError(
                f"{self.model.__name__} has a composite key ({', '.join(c.key for c in keys)}); "
                "get_many needs a single-column key"
            )
        return keys[0]

    def _many(self, ids: Sequence[Any], load_relationships: Sequence[str]) -> Select[Any]:
        column = self._key_column()
        return select(self.model).where(column.in_(list(ids))).options(
            *load_options(self.model, load_relationships))

    def _count(self, filters: Filters | None) -> Select[Any]:
        return select(func.count()).select_from(self.model).where(*where_clauses(self.model, filters))

    def _exists(self, filters: Filters | None) -> Select[Any]:
        inner: Select[Any] = select(literal_column("1")).select_from(self.model)
        inner = inner.where(*where_clauses(self.model, filters))
        return select(inner.exists())

    def _ordered(self, ids: Sequence[Any], found: Iterable[M]) -> list[M]:
        key = self._key_column().key
        by_id = {getattr(obj, key): obj for obj in found}
        return [by_id[i] for i in dict.fromkeys(ids) if i in by_id]


class BaseRepository(_Shape[M, Session]):
    """Sync repository for one model; subclass it with `model = Student` or pass `model=`."""

    def get(self, id: Any, *, load_relationships: Sequence[str] = ()) -> M | None:  # noqa: A002
        """The object with this primary key, or None."""
        return self.session.get(self.model, id, options=load_options(self.model, load_relationships))

    def get_many(self, ids: Sequence[Any], *, load_relationships: Sequence[str] = ()) -> list[M]:
        """The objects with these keys, in the order asked, missing ones left out; one statement."""
        if not ids:
            return []
        return self._ordered(ids, self.session.scalars(self._many(ids, load_relationships)))

    def find_all(self, filters: Filters | None = None, load_relationships: Sequence[str] = (),
                 order_by: str | Sequence[str] | None = None, limit: int | None = None,
                 offset: int | None = None) -> list[M]:
        """Objects matching `filters`, relationships eager-loaded (no lazy load per row)."""
        statement = select_models(self.model, filters=filters, load_relationships=load_relationships,
                                  order_by=order_by, limit=limit, offset=offset)
        return list(self.session.scalars(statement).all())

    def rows(self, fields: Sequence[str], filters: Filters | None = None,
             order_by: str | Sequence[str] | None = None, limit: int | None = None,
             offset: int | None = None) -> list[Row[Any]]:
        """Plain rows from one Core join (no objects): the path for read-heavy endpoints."""
        statement, params = select_rows(self.model, fields, filters=filters, order_by=order_by, limit=limit,
                                        offset=offset)
        return list(self.session.connection().execute(statement, params).all())

    def count(self, filters: Filters | None = None) -> int:
        """How many rows match."""
        return int(self.session.scalar(self._count(filters)) or 0)

    def exists(self, filters: Filters | None = None) -> bool:
        """Whether any row matches."""
        return bool(self.session.scalar(self._exists(filters)))

    def add(self, obj: M) -> M:
        """Add `obj` to the session and flush, so its key is known; the unit of work commits."""
        self.session.add(obj)
        self.session.flush()
        return obj


class AsyncBaseRepository(_Shape[M, AsyncSession]):
    """The same repository over an AsyncSession."""

    async def get(self, id: Any, *, load_relationships: Sequence[str] = ()) -> M | None:  # noqa: A002
        """The object with this primary key, or None."""
        return await self.session.get(self.model, id, options=load_options(self.model, load_relationships))

    async def get_many(self, ids: Sequence[Any], *, load_relationships: Sequence[str] = ()) -> list[M]:
        """The objects with these keys, in the order asked; one statement."""
        if not ids:
            return []
        return self._ordered(ids, await self.session.scalars(self._many(ids, load_relationships)))

    async def find_all(self, filters: Filters | None = None, load_relationships: Sequence[str] = (),
                       order_by: str | Sequence[str] | None = None, limit: int | None = None,
                       offset: int | None = None) -> list[M]:
        """Objects matching `filters`, relationships eager-loaded."""
        statement = select_models(self.model, filters=filters, load_relationships=load_relationships,
                                  order_by=order_by, limit=limit, offset=offset)
        return list((await self.session.scalars(statement)).all())

    async def rows(self, fields: Sequence[str], filters: Filters | None = None,
                   order_by: str | Sequence[str] | None = None, limit: int | None = None,
                   offset: int | None = None) -> list[Row[Any]]:
        """Plain rows from one Core join."""
        statement, params = select_rows(self.model, fields, filters=filters, order_by=order_by, limit=limit,
                                        offset=offset)
        connection = await self.session.connection()
        return list((await connection.execute(statement, params)).all())

    async def count(self, filters: Filters | None = None) -> int:
        """How many rows match."""
        return int(await self.session.scalar(self._count(filters)) or 0)

    async def exists(self, filters: Filters | None = None) -> bool:
        """Whether any row matches."""
        return bool(await self.session.scalar(self._exists(filters)))

    async def add(self, obj: M) -> M:
        """Add and flush; the unit of work commits."""
        self.session.add(obj)
        await self.session.flush()
        return obj
