"""One timing hook per dialect: it runs each statement itself and tells the engine's monitors.

SQLAlchemy's cursor-execute events cost about as much as the statement bookkeeping they
enable; the dialect's `do_execute` hooks cost one dictionary lookup when nothing watches.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, Engine, ExecutionContext
from sqlalchemy.engine.interfaces import DBAPICursor

__all__ = ["StatementContext", "Recorder", "watch", "unwatch", "observe"]

_LOCK = threading.Lock()


class StatementContext(Protocol):
    """The part of SQLAlchemy's execution context a recorder may read: the connection that ran it."""

    @property
    def root_connection(self) -> Connection: ...


class Recorder(Protocol):
    """What a hook tells: the statement, its parameters, whether executemany, the seconds taken.

    `parameters` are the driver's own (a tuple, a dict or a list of them, by paramstyle).
    """

    def record(self, statement: str, parameters: Any, executemany: bool, seconds: float,
               context: StatementContext) -> None:
        ...


class _DialectHook:
    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.by_engine: dict[Engine, tuple[Recorder, ...]] = {}

    def _run(self, context: StatementContext, statement: str, parameters: Any, executemany: bool,
             execute: Callable[[], None]) -> bool:
        connection = context.root_connection
        recorders = self.by_engine.get(connection.engine)
        if not recorders or not getattr(connection, "_allow_autobegin", True):
            # not watched, or the dialect's own first-connect probe (version, schema):
            # SQLAlchemy runs the statement as usual
            return False
        start = time.perf_counter()
        execute()
        seconds = time.perf_counter() - start
        for recorder in recorders:
            recorder.record(statement, parameters, executemany, seconds, context)
        return True

    def do_execute(self, cursor: DBAPICursor, statement: str, parameters: Any, context: ExecutionContext) -> bool:
        return self._run(context, statement, parameters, False,
                         lambda: self.dialect.do_execute(cursor, statement, parameters, context))

    def do_executemany(self, cursor: DBAPICursor, statement: str, parameters: Any,
                       context: ExecutionContext) -> bool:
        return self._run(context, statement, parameters, True,
                         lambda: self.dialect.do_executemany(cursor, statement, parameters, context))

    def do_execute_no_params(self, cursor: DBAPICursor, statement: str, context: ExecutionContext) -> bool:
        return self._run(context, statement, None, False,
                         lambda: self.dialect.do_execute_no_params(cursor, statement, context))


def _hook(engine: Engine) -> _DialectHook:
    dialect = engine.dialect
    hook: _DialectHook | None = dialect.__dict__.get("_labkit_hook")
    if hook is None:
        hook = _DialectHook(dialect)
        for name in ("do_execute", "do_executemany", "do_execute_no_params"):
            event.listen(engine, name, getattr(hook, name))
        dialect.__dict__["_labkit_hook"] = hook
    return hook


def watch(engine: Engine, recorder: Recorder) -> None:
    """Time every statement `engine` (or an engine sharing its dialect) runs, for `recorder`."""
    with _LOCK:
        hook = _hook(engine)
        current = hook.by_engine.get(engine, ())
        if recorder not in current:
            hook.by_engine[engine] = current + (recorder,)


def unwatch(engine: Engine, recorder: Recorder) -> None:
    """Stop telling `recorder` about `engine`'s statements."""
    with _LOCK:
        hook: _DialectHook | None = engine.dialect.__dict__.get("_labkit_hook")
        if hook is None:
            return
        left = tuple(r for r in hook.by_engine.get(engine, ()) if r is not recorder)
        if left:
            hook.by_engine[engine] = left
        else:
            hook.by_engine.pop(engine, None)


class _Context:
    """The part of an execution context a recorder reads, for statements run past SQLAlchemy."""

    def __init__(self, connection: Connection) -> None:
        self.root_connection = connection


def observe(connection: Connection, statement: str, parameters: Any, seconds: float) -> None:
    """Tell the monitors of `connection`'s engine about a statement the driver ran directly (COPY)."""
    hook: _DialectHook | None = connection.engine.dialect.__dict__.get("_labkit_hook")
    recorders = hook.by_engine.get(connection.engine) if hook is not None else None
    for recorder in recorders or ():
        recorder.record(statement, parameters, False, seconds, _Context(connection))
