"""The scratch database: its own schema or file, reachable raw, gone afterwards."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from labkit.lab.errors import ParameterError
from labkit.lab.experiments.scratch_db import backend_of, scratch_database
from labkit.settings import Settings


def _settings(tmp_path: Path) -> Settings:
    return Settings(sqlite_path=tmp_path / "lab.sqlite3", log_dir=tmp_path / "logs")


def test_sqlite_scratch_is_a_file_beside_the_database_removed_afterwards(tmp_path: Path) -> None:
    with scratch_database(f"sqlite:///{tmp_path / 'lab.sqlite3'}", "labkit_t1", settings=_settings(tmp_path)) as db:
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        raw = db.raw_connection()
        assert raw.execute("SELECT x FROM t").fetchall() == [(1,)]
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        raw.close()
        assert (tmp_path / "labkit_t1.sqlite3").is_file()
    assert not list(tmp_path.glob("labkit_t1.sqlite3*"))


def test_postgresql_scratch_is_a_schema_dropped_afterwards(pg_url: str, tmp_path: Path) -> None:
    with scratch_database(pg_url, "labkit_t2", settings=_settings(tmp_path)) as db:
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x int)"))
            conn.execute(text("INSERT INTO t VALUES (2)"))
            assert conn.execute(text("SELECT current_schema()")).scalar() == "labkit_t2"
        with db.raw_connection() as raw:
            assert raw.execute("SELECT x FROM t").fetchall() == [(2,)]
        baseline = db.make_engine("baseline")
        with baseline.connect() as conn:
            assert conn.execute(text("SELECT x FROM t")).scalar() == 2
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'labkit_t2'").fetchone() is None


def test_a_bad_name_or_backend_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="must be an identifier"):
        with scratch_database(f"sqlite:///{tmp_path / 'x.sqlite3'}", "bad-name", settings=_settings(tmp_path)):
            pass
    with pytest.raises(ParameterError, match="'mysql'"):
        backend_of("mysql://u@h/db")
