"""The service under load: optimized/baseline ratios of requests/s and p95 latency, from one run.

Both services run side by side on the same seeded data; steps alternate between them. Quick
mode uses a short open-loop step only (no locust start-up); the full run adds locust users.
Ratios are informational: the issue asks for them to be printed, not for a bound.
"""

from __future__ import annotations

from labkit.lab.bench.stats import Ratio
from labkit.lab.bench.targets import BenchRow
from labkit.lab.load.analysis import mode_ratios
from labkit.lab.load.driver import LoadPlan, run_load
from labkit.settings import Settings

__all__ = ["run", "plan_for"]

SUITE = "api"


def plan_for(quick: bool) -> LoadPlan:
    """The load plan of the suite: a few seconds when quick, about a minute otherwise."""
    if quick:
        return LoadPlan(users=(), rates=(30.0,), duration_s=1.5, settle_s=0.25, warmup_s=0.25, students=100,
                        courses=24, profile=False)
    return LoadPlan(users=(50,), rates=(60.0,), duration_s=12.0, settle_s=2.0, warmup_s=3.0, think_s=0.2,
                    students=2000, profile=False)


def run(settings: Settings, *, quick: bool = False) -> list[BenchRow]:
    """Run both modes and return the ratio rows (optimized over baseline)."""
    result = run_load(settings, plan_for(quick), schema="labkit_api_bench")
    rows: list[BenchRow] = []
    for r in mode_ratios(result.frame).itertuples():
        rows.append(BenchRow(SUITE, f"requests/s optimized/baseline ({r.step})",
                             Ratio(r.rps_ratio, r.rps_ci_low, r.rps_ci_high)))
        rows.append(BenchRow(SUITE, f"p95 latency optimized/baseline ({r.step})",
                             Ratio(r.p95_ratio, r.p95_ci_low, r.p95_ci_high)))
    return rows
