"""Tidy results (one row per sample) saved as Parquet with run metadata and a schema version."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from labkit.lab.bench.runner import Measurement
from labkit.lab.errors import ResultsError

__all__ = [
    "SCHEMA_VERSION",
    "REQUIRED_COLUMNS",
    "Results",
    "measurements_frame",
    "save_results",
    "load_results",
    "list_runs",
    "latest_results",
]

SCHEMA_VERSION = 1
REQUIRED_COLUMNS = ("experiment", "run_id", "case", "label", "phase", "iteration", "value", "unit")
_META_KEY = b"labkit"


@dataclass(frozen=True)
class Results:
    """A run read back: its tidy samples and the metadata it was saved with."""

    frame: pd.DataFrame
    metadata: dict[str, Any]
    path: Path

    @property
    def run_id(self) -> str:
        return str(self.metadata["run_id"])

    def samples(self, case: str | None = None, **where: Any) -> pd.DataFrame:
        """Rows of the timed phase only (never warmups), optionally for one case and filters."""
        frame = self.frame[self.frame["phase"] == "sample"]
        if case is not None:
            frame = frame[frame["case"] == case]
        for column, value in where.items():
            if column not in frame.columns:
                raise ResultsError(f"unknown column {column!r}; columns are {list(frame.columns)}")
            frame = frame[frame[column] == value]
        return frame


def measurements_frame(
    measurements: Mapping[str, Measurement] | Iterable[Measurement],
    *,
    unit: str = "s",
    **columns: Any,
) -> pd.DataFrame:
    """Tidy rows from measurements: one per warmup and per sample, plus constant columns."""
    items = measurements.values() if isinstance(measurements, Mapping) else measurements
    rows = []
    for m in items:
        for phase, values in (("warmup", m.warmups), ("sample", m.samples)):
            for i, v in enumerate(values):
                rows.append(
                    {"case": m.name, "label": m.label or m.name, "phase": phase, "iteration": i,
                     "value": float(v), "unit": unit, "inner": m.inner, **columns}
                )
    return pd.DataFrame(rows)


def save_results(
    frame: pd.DataFrame, metadata: Mapping[str, Any], results_dir: str | Path
) -> Path:
    """Write `frame` to `<results_dir>/<experiment>/<run_id>.parquet` with metadata inside."""
    experiment, run_id = metadata.get("experiment"), metadata.get("run_id")
    if not experiment or not run_id:
        raise ResultsError("metadata needs 'experiment' and 'run_id'")
    frame = frame.copy()
    frame["experiment"] = experiment
    frame["run_id"] = run_id
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ResultsError(f"results frame lacks columns {missing}; required: {list(REQUIRED_COLUMNS)}")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    payload = json.dumps({"schema_version": SCHEMA_VERSION, **metadata}, default=str)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), _META_KEY: payload.encode()})
    path = Path(results_dir) / str(experiment) / f"{run_id}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)  # never leave a half-written results file behind
    return path


def load_results(path: str | Path) -> Results:
    """Read a results file back; refuses files of another schema version."""
    path = Path(path)
    if not path.is_file():
        raise ResultsError(f"no results file at {path}")
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ResultsError(f"{path} is not a readable Parquet results file: {exc}") from exc
    raw = (table.schema.metadata or {}).get(_META_KEY)
    if raw is None:
        raise ResultsError(f"{path} carries no labkit metadata")
    meta = json.loads(raw)
    version = meta.pop("schema_version", None)
    if version != SCHEMA_VERSION:
        raise ResultsError(f"{path} has schema version {version!r}; this labkit reads {SCHEMA_VERSION}")
    return Results(frame=table.to_pandas(), metadata=meta, path=path)


def list_runs(results_dir: str | Path, experiment: str) -> list[Path]:
    """Result files of one experiment, oldest first (run ids sort by time)."""
    folder = Path(results_dir) / experiment
    return sorted(folder.glob("*.parquet")) if folder.is_dir() else []


def latest_results(results_dir: str | Path, experiment: str) -> Results:
    """The newest saved run of an experiment."""
    runs = list_runs(results_dir, experiment)
    if not runs:
        raise ResultsError(f"no saved runs of {experiment!r} under {Path(results_dir) / experiment}")
    return load_results(runs[-1])
