"""The service under load as a saved run of 08_api_load, whether started by the notebook or by `labkit load`.

Both entry points record the same parameters and rows, so the summary reads a command-line
run (say 200 users for 60 s) exactly as it reads the notebook's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from labkit.lab.bench.results import Results
from labkit.lab.experiment import Experiment
from labkit.lab.experiments.api_load.claims import headline
from labkit.lab.load.driver import LoadPlan, LoadRun, run_load
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
    """Every field of the plan (the notebook's parameters among them), sequences as lists, for the results file."""
    return {f.name: list(v) if isinstance(v := getattr(plan, f.name), (list, tuple)) else v for f in fields(plan)}


def start(plan: LoadPlan, settings: Settings | None = None, *, origin: str | None = None) -> Experiment:
    """Open a run of 08_api_load on live PostgreSQL and Redis (embedded ones unless URLs are set)."""
    return Experiment.start(EXPERIMENT, parameters=plan_parameters(plan), backends=BACKENDS, settings=settings,
                            origin=origin)


def run_and_save(lab: Experiment, plan: LoadPlan, *, progress: Callable[[str], None] | None = None) -> SavedLoad:
    """Load both services as `plan` says, save every row with a headline computed from them."""
    settings = lab.settings.with_overrides(database_url=lab.url("postgresql"), redis_url=lab.url("redis"))
    run = run_load(settings, plan, progress=progress)
    lab.run.add_frame(run.frame)
    return SavedLoad(run, lab.save(headline=headline))  # the headline is computed from the run as saved
