"""Memory of loading N rows: each case in a fresh process, repeated, interleaved.

A fresh process per measurement keeps one case's heap (freed but not returned to the OS)
from lowering the next one's RSS growth. Rows come back as tidy samples, one per metric:
`rss_growth`, `rss_peak`, `python_peak` (bytes) and `seconds`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
from sqlalchemy import func, select

from labkit.db import database_url, session_factory, unit_of_work
from labkit.errors import LabkitError
from labkit.lab.demo import Student, create_schema, demo_data, drop_schema, write_demo_data
from labkit.lab.errors import ParameterError
from labkit.lab.experiments.memory.cases import CASES, engine_for
from labkit.secrets import mask_text, url_secrets

__all__ = ["SCHEMA", "METRICS", "prepare_students", "drop_students", "run_jobs", "run_child", "run_cases", "sqlite_url"]

SCHEMA = "labkit_nb07_memory"
METRICS = {"rss_growth": "bytes", "rss_peak": "bytes", "python_peak": "bytes", "seconds": "s"}


def sqlite_url(path: str | Path) -> str:
    """The SQLAlchemy URL of an SQLite file."""
    return f"sqlite:///{Path(path)}"


def _is_postgres(url: str) -> bool:
    return url.startswith("postgres")


def _admin_url(url: str) -> str:
    return database_url(url=url).set(drivername="postgresql").render_as_string(hide_password=False)


def prepare_students(url: str, rows: int) -> bool:
    """Make the experiment's table hold students 1..`rows` (with profiles); False if it already did."""
    if rows < 1:
        raise ParameterError(f"rows must be >= 1, got {rows}")
    if _is_postgres(url):
        with psycopg.connect(_admin_url(url), autocommit=True) as admin:
            admin.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    engine = engine_for(url, SCHEMA)
    try:
        create_schema(engine)
        with unit_of_work(session_factory(engine)) as session:
            count, top = session.execute(select(func.count(Student.id), func.max(Student.id))).one()
        if count == rows and top == rows:
            return False
        drop_schema(engine)
        create_schema(engine)
        with unit_of_work(session_factory(engine)) as session:
            write_demo_data(session, demo_data(students=rows, courses=1, enrollments_per_student=0))
        return True
    finally:
        engine.dispose()


def drop_students(url: str) -> None:
    """Remove the experiment's data: its PostgreSQL schema, or its SQLite file's tables."""
    if _is_postgres(url):
        with psycopg.connect(_admin_url(url), autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        return
    engine = engine_for(url, SCHEMA)
    try:
        drop_schema(engine)
    finally:
        engine.dispose()


def run_jobs(jobs: Sequence[Mapping[str, Any]], *, timeout: float = 1800.0) -> list[dict[str, Any]]:
    """Measure each job (url, case, rows) in its own forked child of one fresh driver process.

    URLs travel on the driver's stdin, never on its command line.
    """
    for job in jobs:
        CASES[str(job["case"])]  # fail here, naming the known cases, rather than in a child
    payload = json.dumps([{**job, "schema": SCHEMA} for job in jobs])
    secrets = [s for job in jobs for s in url_secrets(str(job["url"]))]
    done = subprocess.run([sys.executable, "-m", "labkit.lab.experiments.memory.cases"], input=payload,
                          capture_output=True, text=True, timeout=timeout)
    outs = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or len(outs) != len(jobs):
        tail = mask_text(done.stderr.strip()[-2000:], secrets)
        raise LabkitError(f"the memory driver stopped after {len(outs)} of {len(jobs)} jobs: {tail}")
    for job, out in zip(jobs, outs):
        if "error" in out:
            raise LabkitError(f"memory case {job['case']!r} ({job['rows']} rows) failed in its child process: "
                              f"{mask_text(out['error'], secrets)}")
    return outs


def run_child(url: str, case: str, rows: int, *, timeout: float = 900.0) -> dict[str, Any]:
    """Measure one case in a fresh process."""
    return run_jobs([{"url": url, "case": case, "rows": rows}], timeout=timeout)[0]


def run_cases(urls: Mapping[str, str], cases: Sequence[str], rows: int, *, repeats: int = 3) -> pd.DataFrame:
    """Each (backend, case) `repeats` times, in rotating order per round; tidy rows per metric."""
    if repeats < 1:
        raise ParameterError(f"repeats must be >= 1, got {repeats}")
    labels = CASES.labels()
    for case in cases:
        CASES[case]
    jobs: list[dict[str, Any]] = []
    for r in range(repeats):
        shift = r % len(cases)
        for backend, url in urls.items():
            for case in list(cases)[shift:] + list(cases)[:shift]:
                jobs.append({"url": url, "case": case, "rows": rows, "backend": backend, "round": r})
    records: list[dict[str, Any]] = []
    for job, out in zip(jobs, run_jobs(jobs)):
        for metric, unit in METRICS.items():
            records.append({"case": job["case"], "label": labels[job["case"]], "phase": "sample",
                            "iteration": job["round"], "value": float(out[metric]), "unit": unit, "metric": metric,
                            "backend": job["backend"], "rows": rows, "digest": json.dumps(out["digest"])})
    return pd.DataFrame(records)
