"""The smallest request each backend answers: SQLite and PostgreSQL `SELECT 1`, Redis `PING`."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import psycopg
import redis

__all__ = ["round_trip_cases"]


def _plain_postgres(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"postgresql://{rest}"


@contextlib.contextmanager
def round_trip_cases(urls: Mapping[str, str]) -> Iterator[dict[str, Callable[[], object]]]:
    """One zero-argument round-trip callable per backend, over one open connection each."""
    cases: dict[str, Callable[[], object]] = {}
    with contextlib.ExitStack() as stack:
        if "sqlite" in urls:
            path = Path(urls["sqlite"].removeprefix("sqlite:///"))
            path.parent.mkdir(parents=True, exist_ok=True)
            lite = sqlite3.connect(path)
            stack.callback(lite.close)

            def sqlite_select_1() -> object:
                """SQLite SELECT 1"""
                return lite.execute("SELECT 1").fetchone()

            cases["sqlite"] = sqlite_select_1
        if "postgresql" in urls:
            pg = psycopg.connect(_plain_postgres(urls["postgresql"]), autocommit=True)
            stack.callback(pg.close)

            def postgresql_select_1() -> object:
                """PostgreSQL SELECT 1"""
                return pg.execute("SELECT 1").fetchone()

            cases["postgresql"] = postgresql_select_1
        if "redis" in urls:
            client = redis.Redis.from_url(urls["redis"])
            stack.callback(client.close)

            def redis_ping() -> object:
                """Redis PING"""
                return client.ping()

            cases["redis"] = redis_ping
        yield cases
