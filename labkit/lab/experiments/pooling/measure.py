"""Connection pooling under concurrent threads: no pool vs QueuePool sizes, pre-ping, exhaustion.

Every phase builds its engine through `labkit.db.make_engine`, warms it, runs a concurrent load of
a primary-key lookup, reads labkit's pool statistics, and disposes it, so that at most one pool's
connections are open at a time.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Column, Integer, MetaData, Numeric, String, Table, bindparam, event, insert, select, text
from sqlalchemy.engine import Engine

from labkit.db import make_engine
from labkit.lab.bench.load import LoadResult, run_load
from labkit.lab.bench.runner import Measurement, run_interleaved
from labkit.lab.bench.stats import ratio_of_medians, summarize
from labkit.lab.errors import ParameterError
from labkit.monitor import PoolSnapshot, pool_stats
from labkit.settings import Settings

__all__ = [
    "PoolConfig",
    "PoolingTable",
    "pool_configs",
    "pooling_table",
    "measure_phase",
    "pooling_grid",
    "pre_ping_cost",
    "exhaustion",
    "load_summary",
    "throughput_ratios",
    "efficiency_by_case",
    "phase_frame",
    "Phase",
    "NO_WAIT_MS",
]

NO_WAIT_MS = 1.0  # a checkout answered within this many milliseconds did not wait for the pool


@dataclass(frozen=True)
class PoolConfig:
    """One pool to measure: `pool_size` 0 means NullPool (a new connection per checkout)."""

    name: str
    label: str
    pool_size: int
    max_overflow: int
    timeout: float


def pool_configs(pool_sizes: Sequence[int], settings: Settings, *, seed_pool: bool = True) -> list[PoolConfig]:
    """NullPool, a QueuePool of each size without overflow, and (optionally) labkit's default pool."""
    bad = [p for p in pool_sizes if p < 1]
    if bad:
        raise ParameterError(f"pool_sizes {bad} are not valid: each pool size must be at least 1")
    configs = [PoolConfig("nullpool", "no pool (NullPool)", 0, 0, 0.0)]
    for size in sorted(set(pool_sizes)):
        configs.append(PoolConfig(f"queuepool_{size}", f"QueuePool {size}", size, 0, settings.pool_timeout))
    if seed_pool:
        configs.append(PoolConfig(
            "seed_pool", f"QueuePool {settings.pool_size} + overflow {settings.max_overflow} (labkit default)",
            settings.pool_size, settings.max_overflow, settings.pool_timeout,
        ))
    return configs


class PoolingTable:
    """A table of its own (`labkit_pooling_<id>.accounts`) for the lookups; dropped by `drop()`."""

    def __init__(self, rows: int) -> None:
        if rows < 1:
            raise ParameterError(f"rows={rows} is not valid: at least 1")
        self.rows = rows
        self.schema = f"labkit_pooling_{uuid.uuid4().hex[:8]}"
        metadata = MetaData(schema=self.schema)
        self.table = Table(
            "accounts", metadata,
            Column("id", Integer, primary_key=True),
            Column("owner", String(40), nullable=False),
            Column("balance", Numeric(12, 2), nullable=False),
            Column("status", String(12), nullable=False),
        )
        self.lookup = select(self.table).where(self.table.c.id == bindparam("id", type_=Integer))

    def create(self, engine: Engine) -> None:
        """Create the schema and fill it with `rows` accounts."""
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            self.table.create(conn)
            statuses = ("active", "paused", "closed")
            conn.execute(insert(self.table), [
                {"id": i, "owner": f"owner-{i}", "balance": i % 10_000, "status": statuses[i % 3]}
                for i in range(1, self.rows + 1)
            ])

    def drop(self, engine: Engine) -> None:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))


@contextmanager
def pooling_table(url: str, settings: Settings, rows: int) -> Iterator[PoolingTable]:
    """Create the lookup table on the server at `url` for the duration of the block."""
    admin = make_engine(settings, url=url, profile="baseline")
    table = PoolingTable(rows)
    try:
        table.create(admin)
        yield table
    finally:
        table.drop(admin)
        admin.dispose()


def _engine_for(config: PoolConfig, url: str, settings: Settings) -> Engine:
    if config.pool_size == 0:
        return make_engine(settings, url=url, profile="baseline")
    return make_engine(settings, url=url, pool_size=config.pool_size, max_overflow=config.max_overflow,
                       pool_timeout=config.timeout)


def _fresh_marker(engine: Engine) -> threading.local:
    """Per thread: did the last checkout open a new connection? (connect fires before checkout)."""
    local = threading.local()

    def on_connect(_dbapi: Any, record: Any) -> None:
        record.info["labkit_fresh"] = True

    def on_checkout(_dbapi: Any, record: Any, _proxy: Any) -> None:
        local.fresh = record.info.pop("labkit_fresh", False)

    event.listen(engine.pool, "connect", on_connect)
    event.listen(engine.pool, "checkout", on_checkout)
    return local


def _lookup_operation(engine: Engine, table: PoolingTable, hold: float = 0.0) -> Any:
    """Check out, look one account up by primary key (optionally holding the connection), check in."""
    local = _fresh_marker(engine)
    statement = table.lookup
    sleep = text("SELECT pg_sleep(:s)") if hold > 0 else None
    rows = table.rows

    def operation() -> Mapping[str, Any]:
        local.fresh = False
        key = random.randint(1, rows)
        began = time.perf_counter()
        with engine.connect() as conn:
            checkout = time.perf_counter() - began
            conn.execute(statement, {"id": key}).one()
            if sleep is not None:
                conn.execute(sleep, {"s": hold})
        return {"checkout": checkout, "fresh": 1.0 if local.fresh else 0.0}

    return operation


def _stats_delta(before: PoolSnapshot, after: PoolSnapshot) -> dict[str, int]:
    delta = {name: getattr(after, name) - getattr(before, name) for name in ("checkouts", "connects", "timeouts")}
    for bucket, count in after.wait_histogram.items():
        delta[bucket] = count - before.wait_histogram.get(bucket, 0)
    return delta


@dataclass
class Phase:
    """One concurrent load on one pool: the raw operations and the pool's counters during it."""

    config: PoolConfig
    load: LoadResult
    warmup: LoadResult | None
    pool: dict[str, int]


def measure_phase(
    config: PoolConfig, workers: int, *, url: str, settings: Settings, table: PoolingTable, seconds: float,
    warmup_seconds: float = 0.0, hold: float = 0.0,
) -> Phase:
    """Build the pool, warm it, run `workers` threads for `seconds`, read its statistics, dispose it."""
    engine = _engine_for(config, url, settings)
    try:
        operation = _lookup_operation(engine, table, hold)
        warm = run_load(operation, workers, seconds=warmup_seconds) if warmup_seconds > 0 else None
        before = pool_stats(engine)
        load = run_load(operation, workers, seconds=seconds)
        after = pool_stats(engine)
    finally:
        engine.dispose()
    return Phase(config, load, warm, _stats_delta(before, after))


def phase_frame(phase: Phase, *, repeat: int, windows: int, kind: str = "load") -> pd.DataFrame:
    """Tidy rows of a phase: one per operation (latency), per time slice (throughput, efficiency), per bucket."""
    cfg, load = phase.config, phase.load
    common = {"case": cfg.name, "label": cfg.label, "workers": load.workers, "pool_size": cfg.pool_size,
              "max_overflow": cfg.max_overflow, "repeat": repeat}
    ops = load.frame()
    rows = pd.DataFrame({
        **common, "kind": kind, "phase": "sample", "iteration": np.arange(len(ops)), "value": ops["latency"],
        "unit": "s", "checkout": ops.get("checkout"), "fresh": ops.get("fresh"), "error": ops["error"],
    })
    frames = [rows]
    masks = load.windows(windows)
    fresh = ops["fresh"].fillna(1.0).to_numpy() if "fresh" in ops else np.ones(len(ops))
    window_rows = []
    for i, (mask, rate) in enumerate(zip(masks, load.window_throughput(windows))):
        base = {**common, "phase": "sample", "iteration": repeat * windows + i}
        window_rows.append({**base, "kind": f"{kind}_throughput", "value": float(rate), "unit": "ops/s"})
        if mask.any():
            reused = 100.0 * float((fresh[mask] == 0.0).mean())
            window_rows.append({**base, "kind": f"{kind}_efficiency", "value": reused, "unit": "%"})
    if phase.warmup is not None:
        window_rows.append({**common, "kind": f"{kind}_throughput", "phase": "warmup", "iteration": repeat,
                            "value": phase.warmup.throughput, "unit": "ops/s"})
    for i, (name, count) in enumerate(phase.pool.items()):
        window_rows.append({**common, "kind": f"{kind}_pool", "phase": "sample", "iteration": i,
                            "value": float(count), "unit": "count", "counter": name})
    frames.append(pd.DataFrame(window_rows))
    return pd.concat(frames, ignore_index=True)


def pooling_grid(
    configs: Sequence[PoolConfig], workers: Sequence[int], *, url: str, settings: Settings, table: PoolingTable,
    repeats: int, seconds: float, warmup_seconds: float, windows: int = 5,
) -> pd.DataFrame:
    """Every pool under every worker count, `repeats` rounds, pool order rotated each round (interleaved)."""
    if repeats < 1 or windows < 1:
        raise ParameterError(f"repeats={repeats} and windows={windows} must each be at least 1")
    frames = []
    names = list(configs)
    for repeat in range(repeats):
        for w in workers:
            shift = (repeat + list(workers).index(w)) % len(names)
            for config in names[shift:] + names[:shift]:
                phase = measure_phase(config, w, url=url, settings=settings, table=table, seconds=seconds,
                                      warmup_seconds=warmup_seconds)
                frames.append(phase_frame(phase, repeat=repeat, windows=windows))
    return pd.concat(frames, ignore_index=True)


def pre_ping_cost(
    url: str, settings: Settings, table: PoolingTable, *, repeats: int, warmups: int, inner: int,
) -> dict[str, Measurement]:
    """Checkout + lookup + checkin on a one-connection pool with and without pre-ping, interleaved."""
    engines = {
        on: make_engine(settings, url=url, pool_size=1, max_overflow=0, pool_pre_ping=on) for on in (True, False)
    }
    try:
        ops = {on: _lookup_operation(engine, table) for on, engine in engines.items()}

        def ping_off() -> object:
            """pre-ping off"""
            return ops[False]()

        def ping_on() -> object:
            """pre-ping on"""
            return ops[True]()

        return run_interleaved({"pre_ping_off": ping_off, "pre_ping_on": ping_on},
                               repeats=repeats, warmups=warmups, inner=inner)
    finally:
        for engine in engines.values():
            engine.dispose()


def exhaustion(
    url: str, settings: Settings, table: PoolingTable, *, workers: int, pool_size: int, timeout: float,
    hold: float, seconds: float,
) -> tuple[Phase, pd.DataFrame]:
    """A pool smaller than the workers, each holding its connection `hold` s, with a short timeout."""
    config = PoolConfig("exhaustion", f"QueuePool {pool_size}, timeout {timeout:g} s, {workers} workers",
                        pool_size, 0, timeout)
    phase = measure_phase(config, workers, url=url, settings=settings, table=table, seconds=seconds, hold=hold)
    return phase, phase_frame(phase, repeat=0, windows=1, kind="exhaustion")


def load_summary(frame: pd.DataFrame, kind: str = "load") -> pd.DataFrame:
    """Per pool and worker count: throughput (median of slices, CI), latency and checkout percentiles, efficiency."""
    rows = []
    ops = frame[(frame["kind"] == kind) & (frame["phase"] == "sample")]
    for (case, workers), group in ops.groupby(["case", "workers"], sort=False):
        sel = (frame["case"] == case) & (frame["workers"] == workers) & (frame["phase"] == "sample")
        rate = frame.loc[sel & (frame["kind"] == f"{kind}_throughput"), "value"].to_numpy()
        eff = frame.loc[sel & (frame["kind"] == f"{kind}_efficiency"), "value"].to_numpy()
        pool = frame[sel & (frame["kind"] == f"{kind}_pool")].groupby("counter")["value"].sum()
        ok = group[group["error"].isna()]
        lat = ok["value"].to_numpy() if len(ok) else np.array([np.nan])
        checkout = ok["checkout"].astype(float).to_numpy() if len(ok) else np.array([np.nan])
        r = summarize(rate) if rate.size else None
        checkouts = float(pool.get("checkouts", 0))
        slow = checkouts - float(pool.get(f"<={NO_WAIT_MS:g}ms", 0) + pool.get("<=0.1ms", 0))
        rows.append({
            "case": case, "label": group["label"].iloc[0], "workers": int(workers),
            "pool_size": int(group["pool_size"].iloc[0]), "operations": int(len(group)),
            "errors": int(group["error"].notna().sum()),
            "throughput": r.median if r else np.nan, "throughput_low": r.ci_low if r else np.nan,
            "throughput_high": r.ci_high if r else np.nan,
            "p50": float(np.quantile(lat, 0.5)), "p95": float(np.quantile(lat, 0.95)),
            "p99": float(np.quantile(lat, 0.99)), "checkout_p50": float(np.quantile(checkout, 0.5)),
            "checkout_p99": float(np.quantile(checkout, 0.99)),
            "efficiency": float(np.median(eff)) if eff.size else np.nan,
            "connects": int(pool.get("connects", 0)), "checkouts": int(checkouts),
            "waited": 100.0 * slow / checkouts if checkouts else np.nan,
            "timeouts": int(pool.get("timeouts", 0)),
        })
    return pd.DataFrame(rows)


def throughput_ratios(frame: pd.DataFrame, baseline: str = "nullpool") -> pd.DataFrame:
    """Each pool's throughput over the baseline's at the same worker count, with a bootstrap CI."""
    rates = frame[(frame["kind"] == "load_throughput") & (frame["phase"] == "sample")]
    rows = []
    for workers, at in rates.groupby("workers"):
        base = at.loc[at["case"] == baseline, "value"].to_numpy()
        if base.size == 0 or np.median(base) <= 0:
            continue
        for case, group in at[at["case"] != baseline].groupby("case", sort=False):
            r = ratio_of_medians(base, group["value"].to_numpy())
            rows.append({"workers": int(workers), "case": case, "label": group["label"].iloc[0],
                         "ratio": r.value, "ci_low": r.ci_low, "ci_high": r.ci_high})
    return pd.DataFrame(rows)


def efficiency_by_case(frame: pd.DataFrame) -> pd.DataFrame:
    """Share of checkouts served by an already-open connection (%): median of time slices and CI."""
    eff = frame[(frame["kind"] == "load_efficiency") & (frame["phase"] == "sample")]
    rows = []
    for (case, workers), group in eff.groupby(["case", "workers"], sort=False):
        s = summarize(group["value"].to_numpy())
        rows.append({"case": case, "label": group["label"].iloc[0], "workers": int(workers),
                     "pool_size": int(group["pool_size"].iloc[0]), "median": s.median, "ci_low": s.ci_low,
                     "ci_high": s.ci_high, "min": s.min})
    return pd.DataFrame(rows)
