"""Statements the repositories run: validated filters, eager-load options, orderings, projections.

Every value is bound as a parameter; a name the model does not have is an `UnknownFieldError`
listing the valid ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, ColumnElement, Integer, Select, and_, bindparam, false, inspect, select
from sqlalchemy.orm import Mapper, RelationshipProperty, joinedload, selectinload
from sqlalchemy.orm.interfaces import LoaderOption
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BooleanClauseList
from sqlalchemy.sql.selectable import FromClause

from labkit.errors import DatabaseArgumentError, UnknownFieldError

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
    return inspect(model)


def _column(model: type, name: str, kind: str = "column", *, core: bool = False) -> Any:
    columns = _mapper(model).columns
    if name not in columns:
        raise UnknownFieldError(model.__name__, kind, name, sorted(columns.keys()))
    return columns[name] if core else getattr(model, name)


def where_clauses(model: type, filters: Filters | None, *, core: bool = False) -> list[ColumnElement[bool]]:
    """Equality for scalars, IN for lists/tuples/sets, IS NULL for None, bounds for `Range`.

    `core=True` uses the table's columns (no ORM annotations) for plain Core statements.
    """
    clauses: list[ColumnElement[bool]] = []
    for name, value in (filters or {}).items():
        column = _column(model, name, "column to filter on", core=core)
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
                  columns: Mapping[str, Any] | None = None, *, core: bool = False) -> list[Any]:
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
            column = _column(model, name, "column to order by", core=core)
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
            raise DatabaseArgumentError(f"{name}={value!r} is not valid: expected an integer >= 0")
    if limit is not None:
        statement = statement.limit(limit)
    if offset is not None:
        statement = statement.offset(offset)
    return statement


def select_rows(model: type, fields: Sequence[str], *, filters: Filters | None = None,
                order_by: str | Sequence[str] | None = None, limit: int | None = None,
                offset: int | None = None) -> tuple[Select[Any], dict[str, Any]]:
    """One plain Core SELECT outer-joined along relationships, and its parameters.

    Fields are like `["id", "profile.level", "courses.title"]`, labelled with dots as
    underscores. The statement is built once per shape (fields, filter kinds, ordering,
    paging) and reused, so SQLAlchemy's compiled cache is hit without re-walking it.
    """
    if not fields:
        raise DatabaseArgumentError(f"fields={fields!r} is not valid: expected at least one column name, e.g. ['id']")
    _page(select(), limit, offset)  # validates limit and offset
    shape, params = _filter_shape(model, filters)
    ordering = (order_by,) if isinstance(order_by, str) else tuple(order_by or ())
    statement = _rows_statement(model, tuple(fields), shape, ordering, limit is not None, offset is not None)
    if limit is not None:
        params["lk_limit"] = limit
    if offset is not None:
        params["lk_offset"] = offset
    return statement, params


_BOUNDS = ("ge", "gt", "le", "lt")
_OPERATORS = {"eq": operators.eq, "ge": operators.ge, "gt": operators.gt, "le": operators.le, "lt": operators.lt}


def _filter_shape(model: type, filters: Filters | None) -> tuple[tuple[tuple[str, str], ...], dict[str, Any]]:
    """The kind of each filter (what the statement looks like) apart from its values (the parameters)."""
    shape: list[tuple[str, str]] = []
    params: dict[str, Any] = {}
    for name, value in (filters or {}).items():
        _column(model, name, "column to filter on", core=True)
        if value is None:
            shape.append((name, "null"))
        elif isinstance(value, Range):
            for bound in _BOUNDS:
                if getattr(value, bound) is not None:
                    shape.append((name, bound))
                    params[f"lk_{name}_{bound}"] = getattr(value, bound)
        elif isinstance(value, (list, tuple, set, frozenset)):
            shape.append((name, "in" if value else "nothing"))
            if value:
                params[f"lk_{name}_in"] = list(value)
        elif isinstance(value, Mapping):
            where_clauses(model, {name: value})  # raises the error naming the accepted forms
        else:
            shape.append((name, "eq"))
            params[f"lk_{name}_eq"] = value
    return tuple(shape), params


@lru_cache(maxsize=512)
def _rows_statement(model: type, fields: tuple[str, ...], shape: tuple[tuple[str, str], ...],
                    ordering: tuple[str, ...], limited: bool, offsetted: bool) -> Select[Any]:
    statement, columns = _projection(model, fields)
    where = []
    for name, kind in shape:
        column = _column(model, name, core=True)
        if kind == "null":
            where.append(column.is_(None))
        elif kind == "nothing":
            where.append(false())
        elif kind == "in":
            where.append(column.in_(bindparam(f"lk_{name}_in", expanding=True)))
        else:
            where.append(_OPERATORS[kind](column, bindparam(f"lk_{name}_{kind}", type_=column.type)))
    if where:
        statement = statement.where(*where)
    if ordering:
        statement = statement.order_by(*order_clauses(model, list(ordering), columns, core=True))
    if limited:
        statement = statement.limit(bindparam("lk_limit", type_=Integer))
    if offsetted:
        statement = statement.offset(bindparam("lk_offset", type_=Integer))
    return statement


@lru_cache(maxsize=256)
def _projection(model: type, fields: tuple[str, ...]) -> tuple[Select[Any], dict[str, Any]]:
    """Joins and labelled columns of a projection over table aliases, built once per shape."""
    root = _mapper(model)
    sources: dict[str, tuple[Mapper[Any], FromClause]] = {"": (root, root.local_table)}
    joined: FromClause = root.local_table
    columns: dict[str, Any] = {}
    for field_name in fields:
        *path, column_name = field_name.split(".")
        key = ""
        for part in path:
            parent, parent_from = sources[key]
            key = f"{key}.{part}" if key else part
            if key in sources:
                continue
            if part not in parent.relationships:
                raise UnknownFieldError(parent.class_.__name__, "relationship", part,
                                        sorted(parent.relationships.keys()))
            prop = parent.relationships[part]
            target = prop.mapper.local_table.alias(key.replace(".", "_"))
            joined = _outer_join(joined, prop, parent_from, target, key)
            sources[key] = (prop.mapper, target)
        mapper, source = sources[key]
        column = _column(mapper.class_, column_name, core=True)
        columns[field_name] = source.corresponding_column(column)
    labelled = [c.label(name.replace(".", "_")) for name, c in columns.items()]
    return select(*labelled).select_from(joined), columns


def _outer_join(joined: FromClause, prop: RelationshipProperty[Any], parent: FromClause, target: FromClause,
                key: str) -> FromClause:
    """LEFT OUTER JOIN along a relationship made of column equalities (foreign keys)."""
    if not _plain_equalities(prop):
        raise UnknownFieldError(prop.parent.class_.__name__, "plain relationship for rows()", key,
                                ["relationships whose join is column equalities (foreign keys)"])
    if prop.secondary is None:
        return joined.outerjoin(target, _equal(parent, target, prop.local_remote_pairs))
    link = prop.secondary.alias(f"{key.replace('.', '_')}_link")
    to_link = _equal(parent, link, prop.synchronize_pairs)
    to_target = _equal(target, link, prop.secondary_synchronize_pairs or ())  # set whenever `secondary` is
    # flat LEFT JOINs, as written by hand: the planner can push filters on the parent down
    # (a nested "LEFT JOIN (link JOIN target)" cannot); equivalent while foreign keys hold
    return joined.outerjoin(link, to_link).outerjoin(target, to_target)


def _equal(left: FromClause, right: FromClause,
           pairs: Sequence[tuple[ColumnElement[Any], ColumnElement[Any]]]) -> ColumnElement[bool]:
    """`left.a = right.b AND …` for column pairs given against the underlying tables."""
    terms: list[ColumnElement[bool]] = []
    for a, b in pairs:
        # SQLAlchemy types the pairs as ColumnElement, corresponding_column wants a KeyedColumnElement;
        # the pairs of a relationship `_plain_equalities` admits are Columns, which are both
        left_column, right_column = left.corresponding_column(a), right.corresponding_column(b)  # type: ignore[arg-type]
        if left_column is None or right_column is None:
            raise DatabaseArgumentError(f"cannot join {left.description} to {right.description} on {a} = {b}: "
                                        "rows() follows relationships whose join is column equalities between them")
        terms.append(left_column == right_column)
    return and_(*terms)


def _plain_equalities(prop: RelationshipProperty[Any]) -> bool:
    """True when the relationship's join conditions hold nothing but column = column terms."""
    for condition, pairs in ((prop.primaryjoin, prop.synchronize_pairs if prop.secondary is not None
                              else prop.local_remote_pairs),
                             (prop.secondaryjoin, prop.secondary_synchronize_pairs or ())):
        if condition is None:
            continue
        terms = condition.clauses if isinstance(condition, BooleanClauseList) else [condition]
        if len(terms) != len(pairs) or not all(
            isinstance(t, BinaryExpression) and t.operator is operators.eq
            and isinstance(t.left, Column) and isinstance(t.right, Column) for t in terms
        ):
            return False
    return True
