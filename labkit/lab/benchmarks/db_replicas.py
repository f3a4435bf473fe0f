"""Read routing's cost as same-run ratios: a read through the routing session vs a plain session on
the same replica, and a write read back at once (read-your-writes) vs the same on the primary.

The servers are the replicas given in `DATABASE_REPLICA_URLS` (with `DATABASE_URL` as their
primary), else a primary and one streaming replica this suite starts on loopback and stops after.
With one replica every routed read lands where the direct one does, so the ratio is the router's
own work: `get_bind`, the rotation and its periodic health check.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Integer, String, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from labkit.db import make_engine, routing_session_factory, session_factory, unit_of_work
from labkit.lab.bench import BenchRow, ratio, run_interleaved
from labkit.lab.errors import ServiceError
from labkit.lab.services.replicas import replica_set
from labkit.settings import Settings

__all__ = ["run"]

SUITE = "db_replicas"


class _Base(DeclarativeBase):
    pass


class _Item(_Base):
    __tablename__ = "labkit_bench_replica_item"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))


@contextmanager
def _servers(settings: Settings) -> Iterator[tuple[str, str]]:
    """The primary's URL and one replica's: the user's own, else a pair started here."""
    if settings.database_replica_urls and settings.database_url:
        yield settings.database_url, settings.database_replica_urls[0]
        return
    with replica_set(1) as servers:
        yield servers.primary_url, servers.replica_urls[0]


def _wait_replayed(replica: Engine, timeout: float = 30.0) -> None:
    """Poll until the replica has replayed the table and its rows (replay is asynchronous)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with replica.connect() as conn:
                if conn.execute(select(func.count()).select_from(_Item)).scalar_one() == 100:
                    return
        except ProgrammingError:  # the table is not there yet
            pass
        if time.monotonic() > deadline:
            raise ServiceError(f"the replica did not replay the bench table within {timeout:g} s")
        time.sleep(0.02)  # polling for replay, not waiting for time to pass


def _routing_overhead(settings: Settings, primary_url: str, replica_url: str, reads: int,
                      reps: tuple[int, int]) -> list[BenchRow]:
    primary = make_engine(settings, url=primary_url)
    replica = make_engine(settings, url=replica_url)
    try:
        _Base.metadata.drop_all(primary)
        _Base.metadata.create_all(primary)
        with unit_of_work(session_factory(primary)) as session:
            session.add_all([_Item(id=i, name=f"item {i}") for i in range(1, 101)])
        routed = routing_session_factory(primary, [replica])
        direct = session_factory(replica)
        routed.kw["router"].refresh()
        ids = [i % 100 + 1 for i in range(reads)]

        def direct_reads() -> None:
            """session.get by primary key, a plain session on the replica"""
            for i in ids:
                with direct() as session:
                    session.get(_Item, i)

        def routed_reads() -> None:
            """session.get by primary key, a routing session (the same replica)"""
            for i in ids:
                with routed() as session:
                    session.get(_Item, i)

        _wait_replayed(replica)
        ms = run_interleaved({"direct": direct_reads, "routed": routed_reads}, repeats=reps[0], warmups=reps[1])
        plain_primary = session_factory(primary)
        writes = ids[: max(1, len(ids) // 4)]

        def write_read(factory: sessionmaker[Any]) -> None:
            for i in writes:
                with unit_of_work(factory) as session:
                    session.get_one(_Item, i).name = f"item {i}"
                with factory() as session:
                    session.get(_Item, i)

        def primary_write_read() -> None:
            """update a row, commit, read it back: plain sessions on the primary"""
            write_read(plain_primary)

        def routed_write_read() -> None:
            """update a row, commit, read it back: routing sessions (LSN noted, replica checked)"""
            write_read(routed)

        rw = run_interleaved({"primary": primary_write_read, "routed": routed_write_read},
                             repeats=reps[0], warmups=reps[1])
        _Base.metadata.drop_all(primary)
    finally:
        primary.dispose()
        replica.dispose()
    return [
        BenchRow(SUITE, f"routing session read vs a direct session on the same replica ({reads} gets)",
                 ratio(ms["direct"], ms["routed"]), target_max=1.10),
        BenchRow(SUITE, f"write, read back: routing sessions vs plain ones on the primary ({len(writes)} pairs)",
                 ratio(rw["primary"], rw["routed"])),
    ]


def run(settings: Settings, *, quick: bool = False) -> list[BenchRow]:
    """The routing overhead on reads; `quick` shrinks repeats to a smoke run."""
    reads, reps = (20, (3, 1)) if quick else (200, (30, 3))
    with _servers(settings) as (primary_url, replica_url):
        return _routing_overhead(settings, primary_url, replica_url, reads, reps)
