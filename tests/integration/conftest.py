"""Engines on both backends for the data-layer and monitor tests: a private PostgreSQL database, SQLite files."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from labkit.db import make_async_engine, make_engine
from labkit.lab.demo import Base, create_schema, create_schema_async
from labkit.lab.errors import ServiceError
from labkit.lab.services.redis_cluster import LocalCluster, start_cluster
from labkit.settings import Settings

BACKENDS = ["sqlite", "postgresql"]


def _with_database(url: str, name: str) -> str:
    head, _, tail = url.rpartition("/")
    query = "?" + tail.split("?", 1)[1] if "?" in tail else ""
    return f"{head}/{name}{query}"


@pytest.fixture(scope="session")
def db_pg_url(pg_url: str) -> Iterator[str]:
    """A database of its own on the test server for the data-layer tests, dropped afterwards."""
    name = f"labkit_db_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_database(pg_url, name)
    finally:
        with psycopg.connect(pg_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _cluster() -> Iterator[LocalCluster]:
    """A started Redis Cluster, stopped afterwards; a skip naming the reason when there is no redis-server."""
    try:
        cluster = start_cluster()
    except ServiceError as exc:
        if "no redis-server binary" in str(exc):
            pytest.skip(f"no Redis Cluster: {exc}")
        raise
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def local_cluster() -> Iterator[LocalCluster]:
    """A real Redis Cluster (3 masters + 3 replicas) shared by the session; never kill its nodes."""
    yield from _cluster()


@pytest.fixture
def own_cluster() -> Iterator[LocalCluster]:
    """A Redis Cluster for one test alone, which may kill its nodes."""
    yield from _cluster()


@pytest.fixture(scope="session")
def pg_schema_ready(db_pg_url: str) -> str:
    engine = make_engine(Settings(), url=db_pg_url, profile="baseline")
    create_schema(engine)
    engine.dispose()
    return db_pg_url


def _truncate(engine: Engine) -> None:
    names = ", ".join(t.name for t in reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def db_settings(tmp_path: Path) -> Settings:
    return Settings(sqlite_path=tmp_path / "db.sqlite3", log_dir=tmp_path / "logs", data_dir=tmp_path / "data")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def engine_url(backend: str, db_settings: Settings, request: pytest.FixtureRequest) -> str:
    """URL of an empty demo schema on `backend`."""
    if backend == "sqlite":
        return f"sqlite:///{db_settings.sqlite_path}"
    return str(request.getfixturevalue("pg_schema_ready"))


@pytest.fixture
def engine(backend: str, engine_url: str, db_settings: Settings) -> Iterator[Engine]:
    """A sync engine (optimized profile) on an empty demo schema."""
    eng = make_engine(db_settings, url=engine_url)
    if backend == "sqlite":
        create_schema(eng)
    else:
        _truncate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
async def async_engine(backend: str, engine_url: str, db_settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An async engine (asyncpg or aiosqlite) on an empty demo schema."""
    eng = make_async_engine(db_settings, url=engine_url)
    if backend == "sqlite":
        await create_schema_async(eng)
    else:
        _truncate(make_engine(db_settings, url=engine_url, profile="baseline"))
    yield eng
    await eng.dispose()
