"""Fixtures for real servers: the system PostgreSQL and Redis by URL, SQLite files in tmp.

Every test session gets its own fresh PostgreSQL database (dropped at the end), and every
test its own Redis key namespace, so concurrent runs never see each other's data.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import redis
from psycopg import sql

from labkit.lab.bench import ExperimentRun
from labkit.settings import Settings

# Runs the tests save are not the lab's: the summary and "latest" pass them over (the runner and
# `labkit load` set their own origin for what they start).
os.environ["LABKIT_RUN_ORIGIN"] = "test"

SYSTEM_DATABASE_URL = os.environ.get(
    "LABKIT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SYSTEM_REDIS_URL = os.environ.get("LABKIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _with_database(url: str, name: str) -> str:
    head, _, tail = url.rpartition("/")
    query = ""
    if "?" in tail:
        query = "?" + tail.split("?", 1)[1]
    return f"{head}/{name}{query}"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a fresh database on the system PostgreSQL, dropped after the session."""
    name = f"labkit_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(SYSTEM_DATABASE_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_database(SYSTEM_DATABASE_URL, name)
    finally:
        with psycopg.connect(SYSTEM_DATABASE_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the system Redis. Tests must use `redis_namespace` keys and never FLUSHDB."""
    client = redis.Redis.from_url(SYSTEM_REDIS_URL, socket_connect_timeout=5)
    client.ping()
    client.close()
    return SYSTEM_REDIS_URL


@pytest.fixture
def redis_namespace(redis_url: str) -> Iterator[str]:
    """A key prefix unique to this test; every key under it is deleted afterwards."""
    prefix = f"labkit-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    """A path for an SQLite database file that lives only for this test."""
    return tmp_path / "labkit-test.sqlite3"


@pytest.fixture
def settings(tmp_path: Path, pg_url: str, redis_url: str) -> Settings:
    """Settings pointing at the system servers, with data, reports and logs under tmp."""
    return Settings.from_env(
        environ={
            "DATABASE_URL": pg_url,
            "REDIS_URL": redis_url,
            "SQLITE_PATH": str(tmp_path / "labkit.sqlite3"),
            "LABKIT_DATA_DIR": str(tmp_path / "data"),
            "LABKIT_REPORTS_DIR": str(tmp_path / "reports"),
            "LABKIT_LOG_DIR": str(tmp_path / "logs"),
        },
        env_file=None,
    )


@dataclass(frozen=True)
class DamagedRuns:
    """Three lab runs of 07_memory, oldest first: one intact, one altered after saving, one cut in half."""

    intact: Path
    altered: Path
    cut: Path


def _memory_run(results_dir: Path) -> Path:
    """A lab run of 07_memory whose rows confirm its claims (ORM 200 MB against 40 MB of rows)."""
    records = []
    for case, mb in (("orm_objects", 200.0), ("orm_yield_per", 2.0), ("labkit_rows", 40.0)):
        for i in range(5):
            wobble = 1 + 0.01 * i
            for metric, value, unit in (("rss_growth", mb * 1e6 * wobble, "bytes"),
                                        ("rss_peak", (80 + mb) * 1e6 * wobble, "bytes"),
                                        ("seconds", 0.1 * wobble, "s")):
                records.append({"case": case, "label": case, "phase": "sample", "iteration": i, "value": value,
                                "unit": unit, "metric": metric, "backend": "postgresql", "rows": 100_000})
    run = ExperimentRun("07_memory", results_dir=results_dir, parameters={"rows": [100_000]}, origin="report")
    run.add_frame(pd.DataFrame(records))
    return run.save(headline="memory")


@pytest.fixture
def damaged_runs() -> Callable[[Path], DamagedRuns]:
    """Save three 07_memory lab runs under a results folder and damage the two newest, as a disk or a
    hand might: one value multiplied by 10⁶ (the file rewritten with its old metadata), one cut in half."""

    def make(results_dir: Path) -> DamagedRuns:
        intact, altered, cut = (_memory_run(results_dir) for _ in range(3))
        table = pq.read_table(altered)
        frame = table.to_pandas()
        frame.loc[frame.index[0], "value"] *= 1e6
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False)
                       .replace_schema_metadata(table.schema.metadata), altered)
        data = cut.read_bytes()
        cut.write_bytes(data[: len(data) // 2])
        return DamagedRuns(intact, altered, cut)

    return make
