"""The data-layer benchmark suite runs end to end in quick mode and reports every comparison."""

from __future__ import annotations

from pathlib import Path

import psycopg

from labkit.lab.benchmarks import db
from labkit.settings import Settings


def test_quick_run_reports_every_comparison_and_cleans_up(pg_url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=pg_url, sqlite_path=tmp_path / "lab.sqlite3", log_dir=tmp_path / "logs")
    rows = db.run(settings, quick=True)
    targets = {row.name.split(" (")[0].split(" vs ")[0]: row.target_max for row in rows}
    assert targets["bulk_insert 5k rows"] == 1.25
    assert targets["bulk_update 1k rows"] == 1.5
    assert targets["repository rows() projection"] == 1.3
    assert targets["QueryMonitor overhead on a Core primary-key select"] == 1.15
    assert any(r.name.startswith("find_all") and r.target_max == 10.0 for r in rows)
    assert all(r.ratio.value > 0 for r in rows)
    with psycopg.connect(pg_url) as conn:
        left = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", [db.SCHEMA]).fetchone()
    assert left == (0,)
    assert list(tmp_path.glob("labkit-bench-db*")) == []


def test_async_quick_run_reports_the_asyncpg_comparison_and_cleans_up(pg_url: str) -> None:
    from labkit.lab.benchmarks import db_async

    rows = db_async.run(Settings(database_url=pg_url), quick=True)
    assert [(r.name, r.target_max) for r in rows] == [
        ("bulk_insert_async 5k rows vs raw asyncpg COPY (postgresql)", 1.25)]
    with psycopg.connect(pg_url) as conn:
        left = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", [db_async.SCHEMA]).fetchone()
    assert left == (0,)
