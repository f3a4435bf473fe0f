"""09_faults: both modes of the demo service under steady open-loop load while faults hit private servers.

The run starts its own PostgreSQL and Redis (never a server given by URL, never the shared ones),
seeds the demo data, starts both services on them, and loads both at once at a fixed rate. On one
clock it then injects each fault in turn: `before_s` of calm, `fault_s` of fault, `after_s` to
recover. Rows are tidy, `kind` being latency (one per request), cache (the services' counters,
sampled), ledger (writes acknowledged by PostgreSQL, found again or not) or fault (its window).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from typing import Any

import httpx
import pandas as pd
import psycopg

from labkit.lab.app.config import MODES, AppConfig
from labkit.lab.app.database import prepare_database
from labkit.lab.bench.results import Results
from labkit.lab.errors import ParameterError
from labkit.lab.experiment import Experiment
from labkit.lab.experiments.faults.analysis import fault_table, headline
from labkit.lab.experiments.faults.injectors import FAULTS, Servers, label_of
from labkit.lab.load.open_loop import Sample, run_open_loop
from labkit.lab.load.server import ServiceProcess
from labkit.lab.load.workload import Workload
from labkit.lab.services.private_postgres import private_postgres
from labkit.lab.services.private_redis import private_redis
from labkit.settings import Settings

__all__ = ["EXPERIMENT", "FaultPlan", "Window", "run_faults", "plan_parameters", "start", "run_and_save"]

EXPERIMENT = "09_faults"

_SCHEMA = "labkit_faults"
_COLUMNS = dict(kind="", mode="", fault="", endpoint="", status=0, ok=True, t=0.0, t_end=0.0, counter="")


@dataclass(frozen=True)
class FaultPlan:
    """Which faults, which modes, the load, and how long the calm, the fault and the recovery last."""

    faults: Sequence[str] = tuple(FAULTS)
    modes: Sequence[str] = MODES
    rate: float = 30.0
    warmup_s: float = 2.0
    before_s: float = 1.5
    fault_s: float = 3.0
    after_s: float = 3.0
    students: int = 200
    pool_size: int = 5
    pool_timeout_s: float = 1.0
    statement_timeout_s: float = 2.0
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = [f for f in self.faults if f not in FAULTS]
        if unknown or not self.faults:
            raise ParameterError(f"faults={list(self.faults)!r}: choose one or more of {list(FAULTS)}")
        bad = [m for m in self.modes if m not in MODES]
        if bad or not self.modes:
            raise ParameterError(f"modes={list(self.modes)!r}: choose one or more of {list(MODES)}")
        if min(self.rate, self.fault_s, self.after_s, self.before_s) <= 0:
            raise ParameterError("rate, before_s, fault_s and after_s must all be more than 0")

    def windows(self) -> list[Window]:
        """Each fault's window on the run's clock (seconds since the load started)."""
        span = self.before_s + self.fault_s + self.after_s
        out = []
        for i, name in enumerate(self.faults):
            start = self.warmup_s + i * span + self.before_s
            out.append(Window(name, label_of(name), start - self.before_s, start, start + self.fault_s,
                              start + self.fault_s + self.after_s))
        return out

    @property
    def duration_s(self) -> float:
        """Seconds of load: the warmup, then calm, fault and recovery for each fault."""
        return self.warmup_s + len(self.faults) * (self.before_s + self.fault_s + self.after_s)


@dataclass(frozen=True)
class Window:
    """One fault on the run's clock: calm from `calm`, fault from `start` to `end`, recovery until `until`."""

    name: str
    label: str
    calm: float
    start: float
    end: float
    until: float


def _row(case: str, label: str, iteration: int, value: float, unit: str, **columns: Any) -> dict[str, Any]:
    return {"case": case, "label": label, "phase": "sample", "iteration": iteration, "value": float(value),
            "unit": unit, **_COLUMNS, **columns}


class _Ledger:
    """Writes one row a tick to PostgreSQL and remembers what was acknowledged, to count what a fault lost."""

    def __init__(self, url: str, t0: float, interval_s: float = 0.1) -> None:
        self.url, self.t0, self.interval_s = url, t0, interval_s
        self.acked: list[tuple[int, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._write, name="labkit-faults-ledger", daemon=True)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS faults_ledger (id integer PRIMARY KEY)")

    def _write(self) -> None:
        conn: psycopg.Connection | None = None
        next_id = 0
        while not self._stop.wait(self.interval_s):
            next_id += 1
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(self.url, autocommit=True, connect_timeout=1,
                                           options="-c statement_timeout=500")
                conn.execute("INSERT INTO faults_ledger (id) VALUES (%s)", (next_id,))
                self.acked.append((next_id, time.perf_counter() - self.t0))
            except psycopg.Error:
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def start(self) -> _Ledger:
        self._thread.start()
        return self

    def rows(self) -> list[dict[str, Any]]:
        """One row per acknowledged write: its time, and whether it is still there (value 1) or lost (0)."""
        self._stop.set()
        self._thread.join(10)
        with psycopg.connect(self.url, autocommit=True) as conn:
            present = {r[0] for r in conn.execute("SELECT id FROM faults_ledger")}
        return [_row("ledger", "acknowledged writes", i, int(row_id in present), "rows", kind="ledger", t=t)
                for i, (row_id, t) in enumerate(self.acked)]


class _CacheSampler:
    """Reads each service's cache counters from /api/v1/metrics every `interval_s`."""

    def __init__(self, services: dict[str, ServiceProcess], t0: float, interval_s: float = 0.5) -> None:
        self.services, self.t0, self.interval_s = services, t0, interval_s
        self.rows: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="labkit-faults-metrics", daemon=True)

    def _sample(self) -> None:
        with httpx.Client(timeout=self.interval_s) as client:
            i = 0
            while not self._stop.wait(self.interval_s):
                for mode, service in self.services.items():
                    try:
                        cache = client.get(f"{service.url}/api/v1/metrics").json()["cache"]
                    except (httpx.HTTPError, ValueError, KeyError):
                        continue
                    t = time.perf_counter() - self.t0
                    for counter, value in (("hits", cache["hits"]), ("lookups", cache["total_requests"]),
                                           ("bypassed", cache["lookups_bypassed"]),
                                           ("breaker_open", int(cache["breaker"] in ("open", "half-open")))):
                        self.rows.append(_row(f"{mode}/{counter}", f"{mode} cache {counter}", i, value, "count",
                                              kind="cache", mode=mode, counter=counter, t=t))
                i += 1

    def start(self) -> _CacheSampler:
        self._thread.start()
        return self

    def stop(self) -> list[dict[str, Any]]:
        self._stop.set()
        self._thread.join(10)
        return self.rows


def _latency_rows(mode: str, samples: list[Sample], plan: FaultPlan) -> list[dict[str, Any]]:
    return [{**_row(mode, mode, i, s.latency, "s", kind="latency", mode=mode, endpoint=s.name, status=s.status,
                    ok=s.ok, t=s.start), "phase": "warmup" if s.start < plan.warmup_s else "sample"}
            for i, s in enumerate(samples)]


def _config(plan: FaultPlan, mode: str, postgres_url: str, redis_url: str, prefix: str) -> AppConfig:
    settings = Settings(database_url=postgres_url, redis_url=redis_url, pool_size=plan.pool_size, max_overflow=0,
                        pool_timeout=plan.pool_timeout_s, cache_key_prefix=prefix, connect_timeout=1.0)
    return AppConfig(settings, mode, _SCHEMA, statement_timeout_s=plan.statement_timeout_s)  # type: ignore[arg-type]


def run_faults(plan: FaultPlan, *,
               progress: Callable[[str], None] | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """Run the plan on private servers; (tidy rows, versions of the private servers)."""
    say = progress or (lambda _: None)
    with ExitStack() as stack:
        postgres = stack.enter_context(private_postgres())
        cache = stack.enter_context(private_redis())
        servers = Servers(postgres, cache, _SCHEMA)
        with postgres.connect() as conn:
            version = conn.execute("SHOW server_version").fetchone()
            versions = {"postgresql": f"PostgreSQL {version[0] if version else '?'} (private)"}
        with cache.client() as client:
            versions["redis"] = f"Redis {client.info('server')['redis_version']} (private)"
        base = _config(plan, "optimized", postgres.url, cache.url, f"faults-{uuid.uuid4().hex[:8]}")
        say(f"seeding {plan.students} students into a private PostgreSQL")
        prepare_database(base, students=plan.students, courses=30, enrollments_per_student=4, seed=plan.seed)
        services = {m: ServiceProcess(_config(plan, m, postgres.url, cache.url, base.settings.cache_key_prefix))
                    for m in plan.modes}
        for service in services.values():
            stack.enter_context(service)
        rows = _drive(plan, servers, services, say)
    return pd.DataFrame(rows), versions


def _drive(plan: FaultPlan, servers: Servers, services: dict[str, ServiceProcess],
           say: Callable[[str], None]) -> list[dict[str, Any]]:
    """Load every service on one clock while the faults run in turn; the rows of everything seen."""
    workload = Workload(plan.students)
    t0 = time.perf_counter() + 0.2  # every loop's first request is due then
    samples: dict[str, list[Sample]] = {}
    errors: list[BaseException] = []

    def load(mode: str) -> None:
        try:
            samples[mode] = run_open_loop(services[mode].url, rate=plan.rate, duration_s=plan.duration_s,
                                          workload=workload, seed=plan.seed, timeout=plan.fault_s + plan.after_s,
                                          start_at=t0)
        except BaseException as exc:  # handed to the caller below
            errors.append(exc)

    loops = [threading.Thread(target=load, args=(m,), name=f"labkit-faults-{m}") for m in services]
    for loop in loops:
        loop.start()
    sampler = _CacheSampler(services, t0).start()
    ledger = _Ledger(servers.postgres.url, t0).start()
    rows: list[dict[str, Any]] = []
    try:
        for window in plan.windows():
            time.sleep(max(0.0, t0 + window.start - time.perf_counter()))  # pacing the schedule
            say(f"{window.label} for {plan.fault_s:g} s")
            started = time.perf_counter() - t0
            with FAULTS[window.name](servers):
                time.sleep(max(0.0, t0 + window.end - time.perf_counter()))
            ended = time.perf_counter() - t0
            rows.append(_row(window.name, window.label, len(rows), ended - started, "s", kind="fault",
                             fault=window.name, t=started, t_end=ended,
                             **{"calm": window.calm, "until": window.until}))
    finally:
        for loop in loops:
            loop.join()
        rows += sampler.stop()
        rows += ledger.rows()
    if errors:
        raise errors[0]
    for mode, found in samples.items():
        rows += _latency_rows(mode, found, plan)
    return rows


def plan_parameters(plan: FaultPlan) -> dict[str, Any]:
    """The plan as plain values for the results file."""
    return {k: list(v) if isinstance(v, (list, tuple)) else v for k, v in asdict(plan).items()}


def start(plan: FaultPlan, settings: Settings | None = None) -> Experiment:
    """Open a run of 09_faults: it measures no given or embedded server, only the private ones it starts."""
    return Experiment.start(EXPERIMENT, parameters=plan_parameters(plan), backends=(), settings=settings)


def run_and_save(lab: Experiment, plan: FaultPlan, *, progress: Callable[[str], None] | None = None) -> Results:
    """Run the plan, save every row with the private servers' versions and a headline computed from what was saved."""
    frame, versions = run_faults(plan, progress=progress)
    lab.run.add_frame(frame)
    lab.run.metadata.setdefault("server_versions", {}).update(versions)
    return lab.save(headline=lambda run: headline(fault_table(run.frame)))
