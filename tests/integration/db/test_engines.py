"""Engines: SQLite tuning per profile, the seed's pool, unreachable servers, killed backends, exhaustion."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from labkit.db import SQLITE_PRAGMAS, make_async_engine, make_engine, read_pragmas
from labkit.errors import DatabaseUnreachable, PoolExhausted
from labkit.monitor import pool_stats
from labkit.settings import Settings


def test_optimized_sqlite_sets_every_pragma_on_each_connection(tmp_path: Path) -> None:
    engine = make_engine(Settings(sqlite_path=tmp_path / "t.sqlite3"), backend="sqlite")
    with engine.connect() as conn:
        pragmas = read_pragmas(conn)
    engine.dispose()
    assert pragmas == {"journal_mode": "wal", "synchronous": 1, "mmap_size": SQLITE_PRAGMAS["mmap_size"],
                       "cache_size": SQLITE_PRAGMAS["cache_size"], "temp_store": 2, "busy_timeout": 5000,
                       "foreign_keys": 1}


def test_baseline_sqlite_keeps_driver_defaults_and_does_not_pool(tmp_path: Path) -> None:
    engine = make_engine(Settings(sqlite_path=tmp_path / "t.sqlite3"), backend="sqlite", profile="baseline")
    with engine.connect() as conn:
        pragmas = read_pragmas(conn, ["journal_mode", "synchronous", "mmap_size"])
    assert pragmas == {"journal_mode": "delete", "synchronous": 2, "mmap_size": 0}
    assert type(engine.pool).__name__ == "TimedNullPool"


async def test_async_sqlite_is_tuned_too(tmp_path: Path) -> None:
    engine = make_async_engine(Settings(sqlite_path=tmp_path / "a.sqlite3"), backend="sqlite")
    async with engine.connect() as conn:
        mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
    await engine.dispose()
    assert mode == "wal"


def test_postgres_pool_follows_the_settings(db_pg_url: str) -> None:
    settings = Settings(pool_size=7, max_overflow=3, pool_timeout=2.5, pool_recycle=900)
    engine = make_engine(settings, url=db_pg_url)
    pool = engine.pool
    assert (pool.size(), pool._max_overflow, pool._timeout, pool._recycle, pool._pre_ping) == (7, 3, 2.5, 900, True)
    assert engine.dialect.driver == "psycopg"
    assert make_async_engine(settings, url=db_pg_url).dialect.driver == "asyncpg"


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers (a hung server)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


@pytest.fixture
def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@pytest.mark.timeout(20)
@pytest.mark.parametrize("kind", ["closed", "silent"])
def test_unreachable_server_names_host_and_port_and_masks_the_password(
    kind: str, closed_port: int, silent_server: int
) -> None:
    port = closed_port if kind == "closed" else silent_server
    engine = make_engine(Settings(connect_timeout=1), url=f"postgresql://lab:hunter2@127.0.0.1:{port}/x")
    with pytest.raises(DatabaseUnreachable, match=rf"127\.0\.0\.1:{port}") as caught:
        engine.connect()
    assert "hunter2" not in str(caught.value) and "lab:***@" in str(caught.value)


@pytest.mark.timeout(20)
@pytest.mark.parametrize("kind", ["closed", "silent"])
async def test_async_unreachable_server_names_host_and_port(kind: str, closed_port: int, silent_server: int) -> None:
    port = closed_port if kind == "closed" else silent_server
    engine = make_async_engine(Settings(connect_timeout=1), url=f"postgresql://lab:hunter2@127.0.0.1:{port}/x")
    with pytest.raises(DatabaseUnreachable, match=rf"127\.0\.0\.1:{port}") as caught:
        async with engine.connect():
            pass
    assert "hunter2" not in str(caught.value)


def test_wrong_database_is_not_called_unreachable(db_pg_url: str) -> None:
    head = db_pg_url.rpartition("/")[0]
    engine = make_engine(Settings(), url=f"{head}/labkit_no_such_database")
    with pytest.raises(Exception, match="does not exist") as caught:
        engine.connect()
    assert not isinstance(caught.value, DatabaseUnreachable)


def _kill_backends(url: str, pids: list[int]) -> None:
    with psycopg.connect(url, autocommit=True) as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_killed_backend_is_replaced_on_the_next_call_and_counted(db_pg_url: str) -> None:
    engine = make_engine(Settings(pool_size=2), url=db_pg_url)
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    _kill_backends(db_pg_url, [pid])
    with engine.connect() as conn:
        new_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    stats = pool_stats(engine)
    engine.dispose()
    assert new_pid != pid
    assert stats.invalidations >= 1 and stats.connects == 2


async def test_async_killed_backend_is_replaced_on_the_next_call(db_pg_url: str) -> None:
    engine = make_async_engine(Settings(pool_size=2), url=db_pg_url)
    async with engine.connect() as conn:
        pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    await asyncio.to_thread(_kill_backends, db_pg_url, [pid])
    async with engine.connect() as conn:
        new_pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    stats = pool_stats(engine)
    await engine.dispose()
    assert new_pid != pid and stats.invalidations >= 1


def test_exhausted_pool_raises_a_labkit_error_with_the_pool_status(db_pg_url: str) -> None:
    engine = make_engine(Settings(pool_size=1, max_overflow=0, pool_timeout=0.2), url=db_pg_url)
    with engine.connect():
        with pytest.raises(PoolExhausted, match=r"within 0\.2 s .*Pool size: 1 .*Current Checked out connections: 1"):
            engine.connect()
    stats = pool_stats(engine)
    engine.dispose()
    assert stats.timeouts == 1 and stats.checkouts == 1
    assert sum(stats.wait_histogram.values()) == 1


async def test_async_exhausted_pool_raises_a_labkit_error(db_pg_url: str) -> None:
    engine = make_async_engine(Settings(pool_size=1, max_overflow=0, pool_timeout=0.2), url=db_pg_url)
    async with engine.connect():
        with pytest.raises(PoolExhausted, match="Pool size: 1"):
            async with engine.connect():
                pass
    assert pool_stats(engine).timeouts == 1
    await engine.dispose()


def test_pool_snapshot_reports_size_checked_out_and_overflow(db_pg_url: str) -> None:
    engine = make_engine(Settings(pool_size=1, max_overflow=2), url=db_pg_url)
    with engine.connect(), engine.connect():
        during = pool_stats(engine)
    engine.dispose()
    assert (during.size, during.checked_out, during.overflow) == (1, 2, 1)
    assert during.as_dict()["pool_class"] == "TimedQueuePool"
