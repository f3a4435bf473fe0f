"""Statements the repositories run: validated filters, eager-load options, orderings, projections.

Every value is bound as a parameter; a name the model does not have is an `UnknownFieldError`
listing the valid ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, false, inspect, select
from sqlalchemy.orm import Mapper, aliased, joinedload, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from labkit.errors import UnknownFieldError

__all__ = ["Range", "Filters", "where_clauses", "load_options", "order_clauses", "select_models",
           "select_rows"]


@dataclass(frozen=True)
class Range:
    """Bounds for one filter, e.g. `Range(ge=10, lt=20)`; bounds left None are open."""

    ge: Any = None
    gt: Any = None
    le: Any = None
    lt: Any = None


Filters = Mapping[str, Any]


def _mapper(model: type) -> Mapper[Any]:
    return inspect(model)  # type: ignore[no-any-return]


def _column(model: type, name: str, kind: str = "column") -> Any:
    columns = _mapper(model).columns
    if name not in columns:
        raise UnknownFieldError(model.__name__, kind, name, sorted(columns.keys()))
    return getattr(model, name)


def where_clauses(model: type, filters: Filters | None) -> list[ColumnElement[bool]]:
    """Equality for scalars, IN for lists/tuples/sets, IS NULL for None, bounds for `Range`."""
    clauses: list[ColumnElement[bool]] = []
    for name, value in (filters or {}).items():
        column = _column(model, name, "column to filter on")
        if value is None:
            clauses.append(column.is_(None))
        elif isinstance(value, Range):
            bounds = [(value.ge, column.__ge__), (value.gt, column.__gt__),
                      (value.le, column.__le__), (value.lt, column.__lt__)]
            clauses.extend(op(v) for v, op in bounds if v is not None)
        elif isinstance(value, (list, tuple, set, frozenset)):
            clauses.append(column.in_(list(value)) if value else false())
        elif isinstance(value, Mapping):
            raise UnknownFieldError(model.__name__, "filter form", f"{name}={value!r}",
                                    ["a value", "None", "a list/tuple/set (IN)", "Range(ge=, gt=, le=, lt=)"])
        else:
            clauses.append(column == value)
    return clauses


def load_options(model: type, paths: Sequence[str] = ()) -> list[LoaderOption]:
    """selectinload for collections, joinedload for one-to-one/many-to-one; dotted paths chain."""
    options: list[LoaderOption] = []
    for path in paths:
        current, option = model, None
        for part in path.split("."):
            relationships = _mapper(current).relationships
            if part not in relationships:
                raise UnknownFieldError(current.__name__, "relationship", part, sorted(relationships.keys()))
            prop = relationships[part]
            attribute = getattr(current, part)
            if option is None:
                option = selectinload(attribute) if prop.uselist else joinedload(attribute)
            else:
                option = option.selectinload(attribute) if prop.uselist else option.joinedload(attribute)
            current = prop.mapper.class_
        if option is not None:
            options.append(option)
    return options


def order_clauses(model: type, order_by: str | Sequence[str] | None,
                  columns: Mapping[str, Any] | None = None) -> list[Any]:
    """'name' ascending, '-name' descending; `columns` maps extra (dotted) names for projections."""
    if order_by is None:
        return []
    names = [order_by] if isinstance(order_by, str) else list(order_by)
    clauses = []
    for raw in names:
        descending = raw.startswith("-")
        name = raw.lstrip("-+")
        if columns is not None and name in columns:
            column = columns[name]
        else:
            column = _column(model, name, "column to order by")
        clauses.append(column.desc() if descending else column.asc())
    return clauses


def select_models(model: type, *, filters: Filters | None = None, load_relationships: Sequence[str] = (),
                  order_by: str | Sequence[str] | None = None, limit: int | None = None,
                  offset: int | None = None) -> Select[Any]:
    """SELECT of whole model objects with filters, eager loads, ordering and paging."""
    statement: Select[Any] = select(model).where(*where_clauses(model, filters))
    statement = statement.options(*load_options(model, load_relationships))
    statement = statement.order_by(*order_clauses(model, order_by))
    return _page(statement, limit, offset)


def _page(statement: Select[Any], limit: int | None, offset: int | None) -> Select[Any]:
    for name, value in (("limit", limit), ("offset", offset)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise ValueError(f"{name}={value!r} is not valid: expected an integer >= 0")
    if limit is not None:
        statement = statement.limit(limit)
    if offset is not None:
        statement = statement.offset(offset)
    return statement


def select_rows(model: type, fields: Sequence[str], *, filters: Filters | None = None,
                order_by: str | Sequence[str] | None = None, limit: int | None = None,
                offset: int | None = None) -> Select[Any]:
    """One SELECT with outer joins along relationships: `["id", "profile.level", "courses.title"]`.

    Columns are labelled with the field name, dots replaced by underscores.
    """
    if not fields:
        raise ValueError("fields is empty: name at least one column, e.g. ['id']")
    statement, columns = _projection(model, tuple(fields))
    statement = statement.where(*where_clauses(model, filters))
    statement = statement.order_by(*order_clauses(model, order_by, columns))
    return _page(statement, limit, offset)


@lru_cache(maxsize=256)
def _projection(model: type, fields: tuple[str, ...]) -> tuple[Select[Any], dict[str, Any]]:
    """The joins and labelled columns of a projection, built once per shape (aliasing is costly)."""
    entities: dict[str, Any] = {"": model}
    joins: list[tuple[Any, Any]] = []
    columns: dict[str, Any] = {}
    for field_name in fields:
        *path, column_name = field_name.split(".")
        entity = _join_path(model, path, entities, joins)
        target = inspect(entity).mapper.class_
        _column(target, column_name)
        columns[field_name] = getattr(entity, column_name)
    statement = select(*[c.label(name.replace(".", "_")) for name, c in columns.items()]).select_from(model)
    for attribute, target in joins:
        statement = statement.outerjoin(attribute.of_type(target))
    return statement, columns


def _join_path(model: type, path: list[str], entities: dict[str, Any], joins: list[tuple[Any, Any]]) -> Any:
    key = ""
    for part in path:
        parent = entities[key]
        key = f"{key}.{part}" if key else part
        if key in entities:
            continue
        relationships = inspect(parent).mapper.relationships
        if part not in relationships:
            raise UnknownFieldError(inspect(parent).mapper.class_.__name__, "relationship", part,
                                    sorted(relationships.keys()))
        target = aliased(relationships[part].mapper.class_, name=key.replace(".", "_"))
        joins.append((getattr(parent, part), target))
        entities[key] = target
    return entities[key]
