"""One experiment run: collects tidy frames, stamps metadata, saves one results file, once.

A saved run is closed: samples added afterwards open a new run (a new run id), and in a notebook the
new run takes the parameters as the notebook's variables hold them now, so that a run's metadata always
names the parameters that produced its samples.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from labkit.lab.bench.metadata import new_run_id, run_metadata
from labkit.lab.bench.results import ORIGINS, Results, measurements_frame, results_table, save_results
from labkit.lab.bench.runner import Measurement
from labkit.lab.errors import ParameterError, RunClosedError

__all__ = ["RUN_ID_ENV", "RUN_ORIGIN_ENV", "ExperimentRun", "run_origin"]

RUN_ID_ENV = "LABKIT_RUN_ID"  # set by the report runner so a notebook saves under the run id it expects
RUN_ORIGIN_ENV = "LABKIT_RUN_ORIGIN"  # who started the process: report, run, load, test (else interactive)
_claimed_run_ids: set[str] = set()  # the runner's run id names one run per process, never two


def run_origin(origin: str | None = None) -> str:
    """The origin of a run opened now: `origin`, else $LABKIT_RUN_ORIGIN, else "interactive"."""
    value = origin or os.environ.get(RUN_ORIGIN_ENV) or "interactive"
    if value not in ORIGINS:
        source = "origin" if origin else RUN_ORIGIN_ENV
        raise ParameterError(f"{source}={value!r} is not a run origin; choose one of {', '.join(ORIGINS)}")
    return value


def _runner_run_id() -> str | None:
    """The run id the report runner chose for this process, the first time only."""
    run_id = os.environ.get(RUN_ID_ENV)
    if not run_id or run_id in _claimed_run_ids:
        return None
    _claimed_run_ids.add(run_id)
    return run_id


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays and frames compare element-wise
        return a is b


class ExperimentRun:
    """The results of one notebook run, saved together under one run id.

    `watch` is the notebook's namespace: a parameter whose variable there changes makes the next added
    samples open a new run with the new value (or refuses, while unsaved samples of the old value wait).
    Parameters in `fixed` (the backends, chosen at start) cannot change without a new `Experiment.start`.
    """

    def __init__(
        self,
        experiment: str,
        *,
        results_dir: str | Path,
        parameters: Mapping[str, Any] | None = None,
        backends: Mapping[str, str | None] | None = None,
        server_versions: Mapping[str, str | None] | None = None,
        run_id: str | None = None,
        origin: str | None = None,
        watch: Mapping[str, Any] | None = None,
        fixed: Collection[str] = (),
    ) -> None:
        self.experiment = experiment
        self.results_dir = Path(results_dir)
        self.origin = run_origin(origin)
        self._backends = dict(backends or {})
        self._server_versions = dict(server_versions or {})
        self._watch = watch
        self._fixed = frozenset(fixed)
        self._open(run_id or _runner_run_id() or new_run_id(), dict(parameters or {}))

    def _open(self, run_id: str, parameters: dict[str, Any]) -> None:
        self.run_id = run_id
        self.metadata = run_metadata(
            self.experiment, run_id=run_id, parameters=copy.deepcopy(parameters), backends=self._backends,
            server_versions=self._server_versions, origin=self.origin,
        )
        watch = self._watch or {}
        self._watched = [name for name, value in parameters.items() if name in watch and _same(watch[name], value)]
        self._frames: list[pd.DataFrame] = []
        self.path: Path | None = None

    @property
    def parameters(self) -> dict[str, Any]:
        """The parameters that produced this run's samples."""
        return dict(self.metadata["parameters"])

    def _changed(self) -> dict[str, tuple[Any, Any]]:
        """Watched parameters whose variable no longer holds the run's value: name -> (run's, now)."""
        if self._watch is None:
            return {}
        recorded = self.metadata["parameters"]
        return {name: (recorded[name], self._watch[name]) for name in self._watched
                if name in self._watch and not _same(self._watch[name], recorded[name])}

    def _before_adding(self) -> None:
        """Open a new run when this one is saved or its parameters changed; refuse to mix two settings."""
        changed = self._changed()
        for name in sorted(self._fixed & set(changed)):
            was, now = changed[name]
            raise ParameterError(f"parameter {name!r} changed from {was!r} to {now!r}: the servers of a run are "
                                 "chosen when it starts; rerun the cell with Experiment.start to begin a new run")
        if changed and self._frames and self.path is None:
            name, (was, now) = next(iter(changed.items()))
            raise ParameterError(
                f"parameter {name!r} is now {now!r}, but run {self.run_id} holds unsaved samples taken with "
                f"{name}={was!r}, and a run never mixes parameters: set {name} back to {was!r}, or rerun the "
                "cell with Experiment.start to begin a new run")
        if changed or self.path is not None:
            self._open(new_run_id(), {**self.metadata["parameters"], **{n: now for n, (_, now) in changed.items()}})

    def add(
        self, measurements: Mapping[str, Measurement] | Iterable[Measurement], *, unit: str = "s", **columns: Any
    ) -> pd.DataFrame:
        """Add measurements as tidy rows; constant columns (backend=..., n=...) tag them."""
        self._before_adding()
        frame = measurements_frame(measurements, unit=unit, **columns)
        self._frames.append(frame)
        return frame

    def add_frame(self, frame: pd.DataFrame) -> None:
        """Add rows already in tidy form (they need case, label, phase, iteration, value, unit)."""
        self._before_adding()
        self._frames.append(frame)

    @property
    def frame(self) -> pd.DataFrame:
        """Everything added so far, in one frame."""
        if not self._frames:
            return pd.DataFrame(columns=["case", "label", "phase", "iteration", "value", "unit"])
        return pd.concat(self._frames, ignore_index=True)

    def preview(self) -> Results:
        """The run as `save` would write it, read back in memory: what a headline is computed from."""
        table = results_table(self.frame, self.metadata)
        path = self.results_dir / self.experiment / f"{self.run_id}.parquet"
        return Results(frame=table.to_pandas(), metadata=dict(self.metadata), path=path)

    def save(self, headline: str | Callable[[Results], str] | None = None) -> Path:
        """Write the results file once; `headline` (a line, or a function of the run) joins the metadata."""
        if self.path is not None:
            raise RunClosedError(
                f"run {self.run_id} of {self.experiment} is saved ({self.path}) and saved runs are immutable; "
                "rerun the cells that add samples: they start a new run, which can then be saved")
        metadata = dict(self.metadata)
        if callable(headline):
            headline = headline(self.preview())
        if headline:
            metadata["headline"] = headline
        metadata["saved"] = datetime.now(timezone.utc).isoformat(timespec="microseconds")
        self.path = save_results(self.frame, metadata, self.results_dir)
        self.metadata = metadata
        return self.path
