"""One experiment run: collects tidy frames, stamps metadata, saves one results file."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from labkit.lab.bench.metadata import new_run_id, run_metadata
from labkit.lab.bench.results import measurements_frame, save_results
from labkit.lab.bench.runner import Measurement

__all__ = ["RUN_ID_ENV", "ExperimentRun"]

RUN_ID_ENV = "LABKIT_RUN_ID"  # set by the report runner so a notebook saves under the run id it expects


class ExperimentRun:
    """The results of one notebook run, saved together under one run id."""

    def __init__(
        self,
        experiment: str,
        *,
        results_dir: str | Path,
        parameters: Mapping[str, Any] | None = None,
        backends: Mapping[str, str | None] | None = None,
        server_versions: Mapping[str, str | None] | None = None,
        run_id: str | None = None,
    ) -> None:
        self.experiment = experiment
        self.results_dir = Path(results_dir)
        self.run_id = run_id or os.environ.get(RUN_ID_ENV) or new_run_id()
        self.metadata = run_metadata(
            experiment, run_id=self.run_id, parameters=parameters, backends=backends,
            server_versions=server_versions,
        )
        self._frames: list[pd.DataFrame] = []
        self.path: Path | None = None

    def add(
        self, measurements: Mapping[str, Measurement] | Iterable[Measurement], *, unit: str = "s", **columns: Any
    ) -> pd.DataFrame:
        """Add measurements as tidy rows; constant columns (backend=..., n=...) tag them."""
        frame = measurements_frame(measurements, unit=unit, **columns)
        self._frames.append(frame)
        return frame

    def add_frame(self, frame: pd.DataFrame) -> None:
        """Add rows already in tidy form (they need case, label, phase, iteration, value, unit)."""
        self._frames.append(frame)

    @property
    def frame(self) -> pd.DataFrame:
        """Everything added so far, in one frame."""
        if not self._frames:
            return pd.DataFrame(columns=["case", "label", "phase", "iteration", "value", "unit"])
        return pd.concat(self._frames, ignore_index=True)

    def save(self, headline: str | None = None) -> Path:
        """Write the results file; `headline` (one line for the index page) joins the metadata."""
        if headline:
            self.metadata["headline"] = headline
        self.path = save_results(self.frame, self.metadata, self.results_dir)
        return self.path
