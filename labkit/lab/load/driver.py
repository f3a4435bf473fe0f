"""The load experiment: both modes on the same seeded data, closed-loop and open-loop steps interleaved.

Both services run side by side (each its own process and port); every step loads one of them
at a time, the order of the modes alternating from step to step. Result rows are tidy:
`kind` is latency (one row per request), throughput (per time bin), server (read from
/api/v1/metrics before and after the step) or memory (RSS of the server over time).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import redis

from labkit.lab.app.config import MODES, AppConfig
from labkit.lab.app.database import drop_database, prepare_database
from labkit.lab.errors import ParameterError
from labkit.lab.load.closed_loop import run_locust
from labkit.lab.load.memory import MemorySampler
from labkit.lab.load.open_loop import Sample, run_open_loop
from labkit.lab.load.profiler import FlameGraph, FlameRecorder
from labkit.lab.load.server import ServiceProcess
from labkit.lab.load.workload import Workload
from labkit.settings import Settings

__all__ = ["LoadPlan", "LoadRun", "Step", "run_load"]


@dataclass(frozen=True)
class Step:
    """One load step: `closed` (locust, `users` users) or `open` (`rate` requests/s)."""

    loop: str
    users: int = 0
    rate: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.users} users" if self.loop == "closed" else f"{self.rate:g} req/s open loop"


@dataclass(frozen=True)
class LoadPlan:
    """What to run: modes, user counts, arrival rates, step length, data size, profiling."""

    modes: Sequence[str] = MODES
    users: Sequence[int] = (50, 200)
    rates: Sequence[float] = (50.0,)
    duration_s: float = 5.0
    settle_s: float = 1.0  # the first seconds of each step are kept as warmup rows
    warmup_s: float = 2.0  # an open-loop warmup per mode before the first step
    warmup_rate: float = 20.0
    think_s: float = 1.0  # the seed pairs 200 users with 200 requests/s: about one request per user-second
    students: int = 2000
    courses: int = 60
    enrollments_per_student: int = 5
    seed: int = 0
    profile: bool = True
    memory_interval_s: float = 0.25

    def __post_init__(self) -> None:
        bad = [m for m in self.modes if m not in MODES]
        if bad or not self.modes:
            raise ParameterError(f"modes={list(self.modes)!r}: choose one or more of {list(MODES)}")
        if any(u < 1 for u in self.users) or any(r <= 0 for r in self.rates):
            raise ParameterError(f"users={list(self.users)} and rates={list(self.rates)} must be positive")
        if not self.users and not self.rates:
            raise ParameterError("nothing to run: give at least one user count or one arrival rate")
        if self.duration_s <= self.settle_s:
            raise ParameterError(f"duration_s={self.duration_s} must be more than settle_s={self.settle_s}")

    def steps(self) -> list[Step]:
        return [Step("closed", users=u) for u in self.users] + [Step("open", rate=float(r)) for r in self.rates]


@dataclass
class LoadRun:
    """The tidy rows of a run, a flame graph per mode and each service's last /api/v1/metrics."""

    frame: pd.DataFrame
    flames: dict[str, FlameGraph] = field(default_factory=dict)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)


_COLUMNS = dict(kind="", mode="", loop="", users=0, rate=0.0, endpoint="", status=0, ok=True, t=0.0, step="")


def _row(case: str, label: str, phase: str, iteration: int, value: float, unit: str, **columns: Any) -> dict[str, Any]:
    return {"case": case, "label": label, "phase": phase, "iteration": iteration, "value": float(value),
            "unit": unit, **_COLUMNS, **columns}


def _step_rows(mode: str, step: Step, samples: list[Sample], plan: LoadPlan, phase: str | None = None
               ) -> list[dict[str, Any]]:
    tags = dict(mode=mode, loop=step.loop, users=step.users, rate=step.rate, step=step.label)
    case = f"{mode}/{step.loop}/{step.users or f'{step.rate:g}'}"
    label = f"{mode}, {step.label}"
    rows = []
    for i, s in enumerate(samples):
        rows.append(_row(case, label, phase or ("warmup" if s.start < plan.settle_s else "sample"), i, s.latency,
                         "s", kind="latency", endpoint=s.name, status=s.status, ok=s.ok, t=s.start, **tags))
    if phase is None:
        width = 1.0 if plan.duration_s - plan.settle_s >= 10 else 0.5
        edges = []
        edge = plan.settle_s
        while edge + width <= plan.duration_s + 1e-9:
            edges.append(edge)
            edge += width
        done = [s.start + s.latency for s in samples if s.ok]
        for i, lo in enumerate(edges):
            n = sum(1 for d in done if lo <= d < lo + width)
            rows.append(_row(case, label, "sample", i, n / width, "req/s", kind="throughput", t=lo, **tags))
    return rows


def _server_rows(mode: str, step: Step, before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    tags = dict(kind="server", mode=mode, loop=step.loop, users=step.users, rate=step.rate, step=step.label)
    hits = after["cache"]["hits"] - before["cache"]["hits"]
    # total_requests counts every lookup, those that bypassed the cache too: a bypass is no hit either
    misses = after["cache"]["total_requests"] - before["cache"]["total_requests"] - hits
    queries = after["database"]["query_count"] - before["database"]["query_count"]
    served = after["performance"]["requests_total"] - before["performance"]["requests_total"]
    label = f"{mode}, {step.label}"
    rows = [_row("db_queries", label, "sample", 0, queries, "queries", **tags),
            _row("server_requests", label, "sample", 0, served, "requests", **tags),
            _row("queries_per_request", label, "sample", 0, queries / served if served else 0.0, "queries", **tags),
            _row("db_connects", label, "sample", 0,
                 after["database"]["connects"] - before["database"]["connects"], "connections", **tags)]
    if hits + misses:
        rows.append(_row("cache_hit_rate", label, "sample", 0, 100.0 * hits / (hits + misses), "%", **tags))
    return rows


def _drop_keys(url: str | None, prefix: str) -> None:
    if not url:
        return
    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        for i in range(0, len(keys), 500):
            client.delete(*keys[i:i + 500])
    finally:
        client.close()


def run_load(settings: Settings, plan: LoadPlan, *, schema: str | None = None,
             progress: Callable[[str], None] | None = None) -> LoadRun:
    """Seed the data once, start every mode's service, run each step on each mode, collect the rows."""
    say = progress or (lambda _: None)
    token = uuid.uuid4().hex[:10]
    prefix = f"{settings.cache_key_prefix}-api-{token}"  # this run's cache entries only
    # A schema of the run's own: concurrent runs on one database never see each other's tables.
    base = AppConfig(settings.with_overrides(cache_key_prefix=prefix), schema=f"{schema or 'labkit_api'}_{token}")
    say(f"seeding {plan.students} students, {plan.courses} courses")
    services: dict[str, ServiceProcess] = {}
    samplers: dict[str, MemorySampler] = {}
    rows: list[dict[str, Any]] = []
    run = LoadRun(pd.DataFrame())
    try:
        prepare_database(base, students=plan.students, courses=plan.courses,
                         enrollments_per_student=plan.enrollments_per_student, seed=plan.seed)
        workload = Workload(plan.students)
        services = {m: ServiceProcess(AppConfig(base.settings, m, base.schema)) for m in plan.modes}  # type: ignore[arg-type]
        for svc in services.values():
            svc.start()
        for mode, svc in services.items():
            svc.wait_ready()
            samplers[mode] = MemorySampler(svc.pid, plan.memory_interval_s).start()
            say(f"{mode} service ready on {svc.url}")
        for mode, svc in services.items():
            samplers[mode].mark = "warmup"
            warm = Step("open", rate=plan.warmup_rate)
            samples = run_open_loop(svc.url, rate=plan.warmup_rate, duration_s=plan.warmup_s, workload=workload,
                                    seed=plan.seed + 7)
            rows += _step_rows(mode, warm, samples, plan, phase="warmup")
        steps = plan.steps()
        last_closed = max((i for i, s in enumerate(steps) if s.loop == "closed"), default=-1)
        for i, step in enumerate(steps):
            order = list(services) if i % 2 == 0 else list(reversed(list(services)))
            for mode in order:
                svc = services[mode]
                samplers[mode].mark = step.label
                say(f"{mode}: {step.label} for {plan.duration_s:g} s")
                recorder = FlameRecorder(svc.pid, plan.duration_s) if plan.profile and i == last_closed else None
                before = svc.metrics()
                if step.loop == "closed":
                    samples, _ = run_locust(svc.url, users=step.users, duration_s=plan.duration_s,
                                            students=plan.students, think_s=plan.think_s, seed=plan.seed + i)
                else:
                    samples = run_open_loop(svc.url, rate=step.rate, duration_s=plan.duration_s, workload=workload,
                                            seed=plan.seed + i)
                after = svc.metrics()
                if recorder is not None:
                    run.flames[mode] = recorder.result()
                rows += _step_rows(mode, step, samples, plan)
                rows += _server_rows(mode, step, before, after)
                samplers[mode].mark = "idle"
        for mode, svc in services.items():
            run.metrics[mode] = svc.metrics()
    finally:
        for mode, sampler in samplers.items():
            for i, (t, rss, mark) in enumerate(sampler.stop()):
                rows.append(_row("server_rss", f"{mode} server RSS", "sample", i, rss, "B", kind="memory", mode=mode,
                                 t=t, step=mark))
        for svc in services.values():
            svc.interrupt()  # every service shuts down at once
        for svc in services.values():
            svc.__exit__(None, None, None)
        _drop_keys(base.settings.redis_url, prefix)
        drop_database(base)
    if plan.profile and not run.flames:
        run.flames = {m: FlameGraph(None, "no closed-loop step ran, so nothing was profiled") for m in plan.modes}
    run.frame = pd.DataFrame(rows)
    return run
