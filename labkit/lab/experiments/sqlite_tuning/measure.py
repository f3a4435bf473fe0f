"""SQLite tuning, one pragma at a time and all together: small transactions, bulk writes, reads, readers under a writer.

Each variant gets its own database file (journal mode is stored in the file) and its engine from
`labkit.db.make_engine`: the baseline profile plus the variant's pragmas, or the optimized profile.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection, Engine

from labkit.db import SQLITE_PRAGMAS, make_engine, read_pragmas
from labkit.db.sqlite import tune_sqlite
from labkit.lab.bench.cases import Cases
from labkit.lab.bench.load import run_load
from labkit.lab.bench.results import measurements_frame
from labkit.lab.bench.runner import run_interleaved
from labkit.lab.bench.stats import ratio_of_medians
from labkit.lab.errors import ParameterError
from labkit.settings import Settings

__all__ = [
    "VARIANTS",
    "WORKLOADS",
    "Variant",
    "SqliteVariantDb",
    "variant_databases",
    "variant_names",
    "run_workloads",
    "readers_during_writer",
    "tuning_ratios",
]


@dataclass(frozen=True)
class Variant:
    """A tuning to measure: pragmas over the driver defaults, or `None` for labkit's optimized profile."""

    name: str
    label: str
    pragmas: Mapping[str, Any] | None


VARIANTS: tuple[Variant, ...] = (
    Variant("default", "default (rollback journal, synchronous=FULL)", {}),
    Variant("wal", "journal_mode=WAL", {"journal_mode": SQLITE_PRAGMAS["journal_mode"]}),
    Variant("sync_normal", "synchronous=NORMAL", {"synchronous": SQLITE_PRAGMAS["synchronous"]}),
    Variant("mmap", f"mmap_size={SQLITE_PRAGMAS['mmap_size']}", {"mmap_size": SQLITE_PRAGMAS["mmap_size"]}),
    Variant("cache", f"cache_size={SQLITE_PRAGMAS['cache_size']}", {"cache_size": SQLITE_PRAGMAS["cache_size"]}),
    Variant("tuned", "labkit tuned profile (all together)", None),
)

_CREATE = "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, k INTEGER NOT NULL, payload TEXT NOT NULL, " \
          "amount REAL NOT NULL)"
_INSERT = "INSERT INTO items (k, payload, amount) VALUES (?, ?, ?)"


def _row(i: int) -> tuple[int, str, float]:
    return (i % 1009, f"payload-{i:08d}-" + "x" * 80, i * 0.25)


def variant_names(names: Sequence[str] | None = None) -> list[Variant]:
    """The named variants (all when None), failing on an unknown name."""
    known = {v.name: v for v in VARIANTS}
    if names is None:
        return list(VARIANTS)
    bad = [n for n in names if n not in known]
    if bad:
        raise ParameterError(f"unknown SQLite variant(s) {bad}; choose from {', '.join(known)}")
    return [known[n] for n in names]


class SqliteVariantDb:
    """One variant's file, engine and a held connection (raw sqlite3 for timing, pragmas applied)."""

    def __init__(self, variant: Variant, path: Path, settings: Settings) -> None:
        self.variant = variant
        self.path = path
        url = f"sqlite:///{path}"
        if variant.pragmas is None:
            self.engine: Engine = make_engine(settings, url=url, profile="optimized")
        else:
            self.engine = make_engine(settings, url=url, profile="baseline")
            if variant.pragmas:
                tune_sqlite(self.engine, variant.pragmas)
        self.connection: Connection = self.engine.connect()
        self.raw: sqlite3.Connection = self.connection.connection.dbapi_connection  # type: ignore[assignment]
        self.next_id = 0
        self.rows = 0

    def pragmas(self) -> dict[str, Any]:
        """The pragmas in force on the held connection."""
        try:
            return read_pragmas(self.connection, ["journal_mode", "synchronous", "mmap_size", "cache_size"])
        finally:
            self.connection.rollback()  # the read began a transaction on the held connection

    def fill(self, rows: int) -> None:
        """Create the table and write `rows` rows in one transaction."""
        self.raw.execute(_CREATE)
        self.insert_many(rows)
        self.rows = rows

    def insert_many(self, rows: int) -> None:
        start = self.next_id
        self.next_id += rows
        self.raw.execute("BEGIN")
        self.raw.executemany(_INSERT, [_row(i) for i in range(start, start + rows)])
        self.raw.execute("COMMIT")

    def close(self) -> None:
        self.connection.close()
        self.engine.dispose()


@contextmanager
def variant_databases(
    folder: Path, settings: Settings, variants: Sequence[Variant], rows: int, *, keep: bool = False,
) -> Iterator[dict[str, SqliteVariantDb]]:
    """A filled database per variant under `folder`; files removed afterwards unless `keep`."""
    if rows < 1:
        raise ParameterError(f"rows={rows} is not valid: at least 1")
    folder.mkdir(parents=True, exist_ok=True)
    dbs: dict[str, SqliteVariantDb] = {}
    with ExitStack() as stack:
        for variant in variants:
            path = folder / f"{variant.name}.sqlite3"
            for stale in folder.glob(f"{variant.name}.sqlite3*"):
                stale.unlink()
            db = SqliteVariantDb(variant, path, settings)
            stack.callback(db.close)
            db.fill(rows)
            dbs[variant.name] = db
        try:
            yield dbs
        finally:
            stack.close()
            if not keep:
                for variant in variants:
                    for file in folder.glob(f"{variant.name}.sqlite3*"):
                        file.unlink()
                if not any(folder.iterdir()):
                    folder.rmdir()


WORKLOADS = Cases()


@WORKLOADS.register
def small_transactions(db: SqliteVariantDb, size: int) -> Callable[[], object]:
    """Small transaction: INSERT one row + COMMIT"""

    def run() -> object:
        db.raw.execute("BEGIN")
        db.raw.execute(_INSERT, _row(db.next_id))
        db.next_id += 1
        return db.raw.execute("COMMIT")

    return run


@WORKLOADS.register
def bulk_write(db: SqliteVariantDb, size: int) -> Callable[[], object]:
    """Bulk write: executemany of N rows in one transaction"""
    return lambda: db.insert_many(size)


@WORKLOADS.register
def point_reads(db: SqliteVariantDb, size: int) -> Callable[[], object]:
    """Point read: SELECT one row by primary key"""
    rng = random.Random(7)

    def run() -> object:
        return db.raw.execute("SELECT * FROM items WHERE id = ?", (rng.randrange(db.rows),)).fetchone()

    return run


@WORKLOADS.register
def scan(db: SqliteVariantDb, size: int) -> Callable[[], object]:
    """Scan: aggregate over every row of the table"""
    return lambda: db.raw.execute("SELECT count(*), sum(amount), max(length(payload)) FROM items").fetchone()


def run_workloads(
    dbs: Mapping[str, SqliteVariantDb], workloads: Sequence[str], *, repeats: int, warmups: int,
    inner: Mapping[str, int], sizes: Mapping[str, int],
) -> pd.DataFrame:
    """Each workload on every variant, variants interleaved round-robin; one tidy row per sample."""
    frames = []
    for workload in workloads:
        make: Callable[[SqliteVariantDb, int], Callable[[], object]] = WORKLOADS[workload]  # type: ignore[assignment]
        size = sizes.get(workload, 1)
        cases = {name: make(db, size) for name, db in dbs.items()}
        measured = run_interleaved(cases, repeats=repeats, warmups=warmups, inner=inner.get(workload, 1))
        for name, m in measured.items():
            m.label = dbs[name].variant.label
        frames.append(measurements_frame(measured, kind=workload, workload=WORKLOADS.labels()[workload], size=size))
    return pd.concat(frames, ignore_index=True)


def _writer(db: SqliteVariantDb, stop: threading.Event, rows: int, seconds: float, out: dict[str, Any]) -> None:
    """Commit transactions of `rows` rows on a connection of its own for `seconds` (or until `stop`)."""
    conn = db.engine.connect()
    raw: sqlite3.Connection = conn.connection.dbapi_connection  # type: ignore[assignment]
    commits = errors = 0
    began = time.perf_counter()
    deadline = began + seconds  # then a reader it starved gets through at last
    try:
        while not stop.is_set() and time.perf_counter() < deadline:
            try:
                raw.execute("BEGIN IMMEDIATE")
                raw.executemany(_INSERT, [_row(-1) for _ in range(rows)])
                raw.execute("COMMIT")
                commits += 1
            except sqlite3.OperationalError:
                errors += 1
                if raw.in_transaction:
                    raw.execute("ROLLBACK")
    finally:
        conn.close()
        out.update(commits=commits, errors=errors, elapsed=time.perf_counter() - began)


def _reader(db: SqliteVariantDb, raws: Sequence[Any], seed: int) -> Callable[[], object]:
    """A point read; each reader thread takes one of `raws` (its own connection) on first use."""
    local = threading.local()
    handed = iter(raws)
    lock = threading.Lock()
    rng = random.Random(seed)

    def read() -> object:
        if not hasattr(local, "raw"):
            with lock:
                local.raw = next(handed)
        return local.raw.execute("SELECT * FROM items WHERE id = ?", (rng.randrange(db.rows),)).fetchone()

    return read


def readers_during_writer(
    dbs: Mapping[str, SqliteVariantDb], *, repeats: int, seconds: float, writer_rows: int, readers: int = 1,
    reads: int = 200,
) -> pd.DataFrame:
    """Point-read latency of `readers` threads while another thread commits writes, variants interleaved.

    Each reader spreads about `reads` reads evenly over the writer's `seconds`.
    """
    names = list(dbs)
    frames = []
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            db = dbs[name]
            connections = [db.engine.connect() for _ in range(readers)]
            raws = [c.connection.dbapi_connection for c in connections]
            read = _reader(db, raws, seed=repeat)
            stop = threading.Event()
            written: dict[str, Any] = {}
            writer = threading.Thread(target=_writer, args=(db, stop, writer_rows, seconds, written), daemon=True)
            writer.start()
            try:
                load = run_load(read, readers, seconds=seconds, interval=seconds / max(1, reads))
            finally:
                stop.set()
                writer.join()
                for c in connections:
                    c.close()
            common = {"case": name, "label": db.variant.label, "repeat": repeat, "workload": "reader during a writer"}
            ops = load.frame()
            frames.append(pd.DataFrame({
                **common, "kind": "reader", "phase": "sample", "iteration": np.arange(len(ops)),
                "value": ops["latency"], "unit": "s", "error": ops["error"],
            }))
            frames.append(pd.DataFrame([
                {**common, "kind": "writer", "phase": "sample", "iteration": repeat,
                 "value": written.get("commits", 0) / max(written.get("elapsed", 0.0), 1e-9), "unit": "ops/s"},
                {**common, "kind": "writer_errors", "phase": "sample", "iteration": repeat,
                 "value": float(written.get("errors", 0)), "unit": "count"},
            ]))
    return pd.concat(frames, ignore_index=True)


def tuning_ratios(frame: pd.DataFrame, baseline: str = "default") -> pd.DataFrame:
    """Each variant's median time over the default's per workload (and reader latency), with a bootstrap CI."""
    samples = frame[(frame["phase"] == "sample") & (frame["unit"] == "s")]
    if "error" in samples:
        samples = samples[samples["error"].isna()]
    rows = []
    for kind, at in samples.groupby("kind", sort=False):
        base = at.loc[at["case"] == baseline, "value"].to_numpy()
        if base.size == 0:
            continue
        for case, group in at[at["case"] != baseline].groupby("case", sort=False):
            r = ratio_of_medians(base, group["value"].to_numpy())
            rows.append({"kind": kind, "workload": group["workload"].iloc[0], "case": case,
                         "label": group["label"].iloc[0], "ratio": r.value, "ci_low": r.ci_low,
                         "ci_high": r.ci_high,
                         "p99_ratio": float(np.quantile(group["value"], 0.99) / np.quantile(base, 0.99))})
    return pd.DataFrame(rows)
