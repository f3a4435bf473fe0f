"""The service under load as a saved run of 08_api_load, whether started by the notebook or by `labkit load`.

Both entry points record the same parameters and rows, so the summary reads a command-line
run (say 200 users for 60 s) exactly as it reads the notebook's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labkit.bench.results import Results
from labkit.claims.api import headline
from labkit.experiment import Experiment
from labkit.load.driver import LoadPlan, LoadRun, run_load
from labkit.settings import Settings

__all__ = ["EXPERIMENT", "BACKENDS", "SavedLoad", "plan_parameters", "start", "run_and_save"]

EXPERIMENT = "08_api_load"
BACKENDS = ("postgresql", "redis")


@dataclass(frozen=True)
class SavedLoad:
    """A finished load run: its rows, flame graphs and last metrics, and the results file read back."""

    run: LoadRun
    results: Results


def plan_parameters(plan: LoadPlan) -> dict[str, Any]:
    """The plan as the notebook's parameters (same names), recorded in the results file."""
    return dict(modes=list(plan.modes), users=list(plan.users), rates=list(plan.rates), duration_s=plan.duration_s,
                settle_s=plan.settle_s, warmup_s=plan.warmup_s, think_s=plan.think_s, students=plan.students,
                seed=plan.seed, profile=plan.profile)


def start(plan: LoadPlan, settings: Settings | None = None) -> Experiment:
    """Open a run of 08_api_load on live PostgreSQL and Redis (embedded ones unless URLs are set)."""
    return Experiment.start(EXPERIMENT, parameters=plan_parameters(plan), backends=BACKENDS, settings=settings)


def run_and_save(lab: Experiment, plan: LoadPlan, *, progress: Callable[[str], None] | None = None) -> SavedLoad:
    """Load both services as `plan` says, save every row with a headline computed from them."""
    settings = lab.settings.with_overrides(database_url=lab.url("postgresql"), redis_url=lab.url("redis"))
    run = run_load(settings, plan, progress=progress)
    lab.run.add_frame(run.frame)
    saved = lab.save()
    return SavedLoad(run, lab.save(headline=headline(saved)))  # the headline is read from what was saved
