"""The faults 09_faults injects into its private servers: one registered context manager each.

Entering starts the fault, leaving ends it; the docstring is the fault's label in tables and charts.
Only servers the experiment started itself are touched (`PrivatePostgres`, `PrivateRedis`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

from labkit.lab.services.private_postgres import PrivatePostgres
from labkit.lab.services.private_redis import PrivateRedis

__all__ = ["FAULTS", "Servers", "label_of"]


@dataclass(frozen=True)
class Servers:
    """The private servers of one run, and the schema the services read."""

    postgres: PrivatePostgres
    redis: PrivateRedis
    schema: str


Fault = Callable[[Servers], AbstractContextManager[None]]
FAULTS: dict[str, Fault] = {}


def _fault(fn: Callable[[Servers], Iterator[None]]) -> Fault:
    FAULTS[fn.__name__] = contextmanager(fn)
    FAULTS[fn.__name__].__doc__ = fn.__doc__
    return FAULTS[fn.__name__]


def label_of(name: str) -> str:
    """The label of a registered fault (its docstring)."""
    try:
        return (FAULTS[name].__doc__ or name).strip()
    except KeyError:
        raise KeyError(f"unknown fault {name!r}; faults are {', '.join(FAULTS)}") from None


@_fault
def redis_restart(servers: Servers) -> Iterator[None]:
    """Redis stopped, then restarted empty"""
    servers.redis.shutdown()
    try:
        yield
    finally:
        servers.redis.start_again()


@_fault
def redis_freeze(servers: Servers) -> Iterator[None]:
    """Redis frozen (SIGSTOP), then resumed"""
    servers.redis.freeze()
    try:
        yield
    finally:
        servers.redis.thaw()


@_fault
def postgres_restart(servers: Servers) -> Iterator[None]:
    """PostgreSQL stopped, then restarted"""
    servers.postgres.stop("fast")
    try:
        yield
    finally:
        servers.postgres.start()


@_fault
def pool_exhausted(servers: Servers) -> Iterator[None]:
    """pool exhausted by slow queries (students locked)"""
    # Every statement on students waits behind this lock, holding its pooled connection: slow queries.
    with servers.postgres.connect() as conn:
        conn.execute("BEGIN")
        conn.execute(f'LOCK TABLE "{servers.schema}".students IN ACCESS EXCLUSIVE MODE')
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
