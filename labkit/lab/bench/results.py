"""Tidy results (one row per sample) saved as Parquet with run metadata, a schema version and checksums.

A results file is written once and never overwritten. Schema 2 stores a sha256 of the data and of the
metadata; reading verifies both. Schema-1 files (no checksum) are still read, with an
`UncheckedResultsWarning`, so that runs saved before checksums existed stay usable.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from labkit.lab.bench.runner import Measurement
from labkit.lab.errors import DamagedResultsError, ResultsError, RunClosedError, UncheckedResultsWarning

__all__ = [
    "SCHEMA_VERSION",
    "REQUIRED_COLUMNS",
    "DURATION_UNITS",
    "ORIGINS",
    "LAB_ORIGINS",
    "Results",
    "is_lab_run",
    "origin_in",
    "parameters_digest",
    "data_checksum",
    "measurements_frame",
    "results_table",
    "save_results",
    "load_results",
    "read_metadata",
    "run_time",
    "run_files",
    "list_runs",
    "LatestRun",
    "find_latest",
    "latest_results",
]

SCHEMA_VERSION = 2
READABLE_SCHEMAS = (1, 2)
REQUIRED_COLUMNS = ("experiment", "run_id", "case", "label", "phase", "iteration", "value", "unit")
DURATION_UNITS = frozenset({"s", "ms", "µs", "us", "ns"})
ORIGINS = ("report", "run", "load", "test", "interactive")
LAB_ORIGINS = frozenset({"report", "run", "load"})  # what the summary, "latest" and history read by default
_META_KEY = b"labkit"
_PARQUET_MAGIC = b"PAR1"
_FLOATS_IN_OBJECTS = {"floating", "mixed-integer-float"}


def is_lab_run(metadata: Mapping[str, Any]) -> bool:
    """True for runs of the lab itself (report, run, load); files older than origins count as lab runs."""
    return origin_in(metadata, LAB_ORIGINS)


def origin_in(metadata: Mapping[str, Any], origins: Iterable[str]) -> bool:
    """Whether a run's origin is among `origins`; a file older than origins counts as a lab run."""
    origin = metadata.get("origin")
    return bool(LAB_ORIGINS.intersection(origins)) if origin is None else origin in origins


def parameters_digest(parameters: Mapping[str, Any]) -> str:
    """Short sha256 of the parameters' canonical JSON: equal digests, equal parameters."""
    text = json.dumps(parameters, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Results:
    """A run read back: its tidy samples and the metadata it was saved with."""

    frame: pd.DataFrame
    metadata: dict[str, Any]
    path: Path
    schema_version: int = SCHEMA_VERSION

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


def _column_bytes(array: pa.Array) -> tuple[str, bytes]:
    """A column's values as bytes that do not depend on how Arrow or Parquet happened to lay them out."""
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    kind = array.type
    for family, test, as_type, fill, dtype in (
        ("float", pa.types.is_floating, pa.float64(), 0.0, "<f8"),
        ("int", pa.types.is_integer, pa.int64(), 0, "<i8"),
        ("bool", pa.types.is_boolean, pa.bool_(), False, "u1"),
    ):
        if test(kind):
            values = pc.fill_null(array.cast(as_type), fill).to_numpy(zero_copy_only=False)
            return family, values.astype(dtype).tobytes()
    return "json", json.dumps(array.to_pylist(), default=str, ensure_ascii=False).encode()


def data_checksum(table: pa.Table) -> str:
    """sha256 of a table's column names, nulls and values (not its schema metadata nor its chunking)."""
    digest = hashlib.sha256(f"rows={table.num_rows}".encode())
    for name, column in zip(table.column_names, table.columns):
        array = column.combine_chunks() if column.num_chunks else pa.array([], type=column.type)
        kind, values = _column_bytes(array)
        nulls = np.packbits(array.is_null().to_numpy(zero_copy_only=False)).tobytes()
        for part in (json.dumps([name, kind]).encode(), nulls, values):
            digest.update(len(part).to_bytes(8, "little"))
            digest.update(part)
    return digest.hexdigest()


def _metadata_checksum(metadata: Mapping[str, Any]) -> str:
    text = json.dumps({k: v for k, v in metadata.items() if k != "checksum"}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _check_values(frame: pd.DataFrame) -> None:
    """Refuse what the schema does not allow: infinities anywhere, missing or negative durations."""
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in _FLOATS_IN_OBJECTS:
            values = pd.to_numeric(values, errors="coerce")  # numbers among None: not the text "inf"
        if not pd.api.types.is_float_dtype(values):
            continue
        infinite = np.isinf(values.to_numpy(dtype=float, na_value=np.nan))
        if infinite.any():
            row = frame[infinite].iloc[0]
            raise ResultsError(f"column {column!r} holds {row[column]} for case {row.get('case')!r} "
                               f"({int(infinite.sum())} row(s)): results must be finite")
    durations = frame[frame["unit"].isin(DURATION_UNITS)]
    values = pd.to_numeric(durations["value"], errors="coerce")
    for bad, why in ((values.isna(), "a duration cannot be missing (NaN)"),
                     (values < 0, "a duration cannot be negative")):
        if bad.any():
            row = durations[bad.to_numpy()].iloc[0]
            raise ResultsError(f"column 'value' holds {row['value']} {row['unit']} for case {row['case']!r} "
                               f"({int(bad.sum())} row(s)): {why}")


def results_table(frame: pd.DataFrame, metadata: Mapping[str, Any]) -> pa.Table:
    """The Arrow table a results file holds: checked values, run columns, metadata and checksums inside."""
    experiment, run_id = metadata.get("experiment"), metadata.get("run_id")
    if not experiment or not run_id:
        raise ResultsError("metadata needs 'experiment' and 'run_id'")
    frame = frame.copy()
    frame["experiment"] = experiment
    frame["run_id"] = run_id
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ResultsError(f"results frame lacks columns {missing}; required: {list(REQUIRED_COLUMNS)}")
    _check_values(frame)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    stored = json.loads(json.dumps({"schema_version": SCHEMA_VERSION, **metadata}, default=str))
    stored["checksum"] = {"algorithm": "sha256", "data": data_checksum(table), "metadata": _metadata_checksum(stored)}
    return table.replace_schema_metadata({**(table.schema.metadata or {}), _META_KEY: json.dumps(stored).encode()})


def save_results(frame: pd.DataFrame, metadata: Mapping[str, Any], results_dir: str | Path) -> Path:
    """Write `frame` to `<results_dir>/<experiment>/<run_id>.parquet`; an existing file is never replaced."""
    table = results_table(frame, metadata)
    path = Path(results_dir) / str(metadata["experiment"]) / f"{metadata['run_id']}.parquet"
    if path.exists():
        raise RunClosedError(f"{path} exists: run {metadata['run_id']} of {metadata['experiment']} was saved "
                             "already, and a saved run is never overwritten; save new samples as a new run")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp)
    try:
        os.link(tmp, path)  # atomic, and fails rather than replace a file saved meanwhile
    except FileExistsError:
        raise RunClosedError(f"{path} was saved by another process meanwhile; it is left as it was") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _footer_problem(path: Path) -> str | None:
    size = path.stat().st_size
    with path.open("rb") as f:
        if size >= 12:
            f.seek(-4, os.SEEK_END)
        tail = f.read(4)
    if size < 12 or tail != _PARQUET_MAGIC:
        return (f"cut short: {size} bytes ending without a Parquet footer "
                "(the file was truncated or its write never finished)")
    return None


def read_metadata(path: str | Path) -> dict[str, Any]:
    """A results file's metadata from its footer alone (fast; data and checksums not checked)."""
    path = Path(path)
    return _decode_metadata(path, _read_parquet(path, pq.read_schema).metadata)


_T = TypeVar("_T")


def _read_parquet(path: Path, read: Callable[[Path], _T]) -> _T:
    """`read(path)` once the file exists and ends with a Parquet footer; damage named as such."""
    if not path.is_file():
        raise ResultsError(f"no results file at {path}")
    if problem := _footer_problem(path):
        raise DamagedResultsError(path, problem)
    try:
        return read(path)
    except (pa.ArrowException, OSError) as exc:
        raise DamagedResultsError(path, f"unreadable: not a readable Parquet file ({exc})") from exc


def _decode_metadata(path: Path, footer: Mapping[bytes, bytes] | None) -> dict[str, Any]:
    raw = (footer or {}).get(_META_KEY)
    if raw is None:
        raise DamagedResultsError(path, "unreadable: it carries no labkit metadata (not a labkit results file)")
    try:
        meta = json.loads(raw)
    except ValueError as exc:
        raise DamagedResultsError(path, f"unreadable: its labkit metadata is not JSON ({exc})") from exc
    if not isinstance(meta, dict):
        raise DamagedResultsError(path, "unreadable: its labkit metadata is not a JSON object")
    return dict(meta)


def load_results(path: str | Path) -> Results:
    """Read a results file back, verifying its checksums; damage raises `DamagedResultsError` naming the file."""
    path = Path(path)
    table = _read_parquet(path, pq.read_table)
    meta = _decode_metadata(path, table.schema.metadata)
    version = meta.get("schema_version")
    if version not in READABLE_SCHEMAS:
        raise DamagedResultsError(
            path, f"unknown schema: version {version!r}; this labkit reads versions {list(READABLE_SCHEMAS)}")
    if version == 1:
        warnings.warn(f"{path} is a schema-1 results file: it carries no checksum, so damage to it cannot be "
                      "detected", UncheckedResultsWarning, stacklevel=2)
    else:
        _verify(path, table, meta)
    meta.pop("schema_version")
    meta.pop("checksum", None)
    return Results(frame=table.to_pandas(), metadata=meta, path=path, schema_version=int(version))


def _verify(path: Path, table: pa.Table, meta: Mapping[str, Any]) -> None:
    recorded = meta.get("checksum")
    if not isinstance(recorded, dict) or not {"data", "metadata"} <= set(recorded):
        raise DamagedResultsError(path, "checksum missing: a schema-2 file must record the sha256 of its data")
    if _metadata_checksum(meta) != recorded["metadata"]:
        raise DamagedResultsError(path, "checksum mismatch: its metadata was altered after it was saved")
    found = data_checksum(table)
    if found != recorded["data"]:
        raise DamagedResultsError(
            path, f"checksum mismatch: its data was altered after it was saved (sha256 {recorded['data'][:12]}… "
                  f"recorded, {found[:12]}… found)")


def run_time(path: Path, metadata: Mapping[str, Any] | None) -> datetime:
    """When a run started: its metadata's time; without metadata, the last moment its run id allows
    (so that a damaged file sorts after the intact runs of its second), else the file's mtime (UTC)."""
    try:
        when = datetime.fromisoformat(str((metadata or {})["time"]))
        return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    except (KeyError, ValueError):
        pass
    try:
        second = datetime.strptime(path.stem[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        return second + timedelta(microseconds=999_999)
    except ValueError:
        return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)


def run_files(results_dir: str | Path, experiment: str) -> list[tuple[Path, dict[str, Any] | None]]:
    """Each results file of an experiment with its footer metadata (None when unreadable), oldest first."""
    folder = Path(results_dir) / experiment
    found = []
    for path in folder.glob("*.parquet") if folder.is_dir() else ():
        try:
            metadata: dict[str, Any] | None = read_metadata(path)
        except ResultsError:
            metadata = None
        found.append((path, metadata))
    return sorted(found, key=lambda item: (run_time(item[0], item[1]), item[0].stem))


def list_runs(results_dir: str | Path, experiment: str) -> list[Path]:
    """Result files of one experiment, oldest first (by the start time in their metadata, then run id)."""
    return [path for path, _ in run_files(results_dir, experiment)]


@dataclass(frozen=True)
class LatestRun:
    """The newest intact run of an experiment among some origins, and the newer files passed over."""

    experiment: str
    folder: Path
    results: Results | None
    skipped: tuple[DamagedResultsError, ...]  # newer files that are damaged, newest first
    other_origins: tuple[str, ...]  # origins of newer intact runs that were not asked for
    files: int

    def why_none(self) -> str:
        """Why no run was found, in words fit for a pending claim."""
        if not self.files:
            return f"no saved runs of {self.experiment!r} under {self.folder}"
        parts = []
        if self.skipped:
            parts.append(f"{len(self.skipped)} damaged file(s): " + "; ".join(str(e) for e in self.skipped))
        if self.other_origins:
            counts = pd.Series(self.other_origins).value_counts()
            parts.append("runs of other origins not read: " + ", ".join(f"{n} {o}" for o, n in counts.items()))
        return f"no intact lab run of {self.experiment!r}: " + "; ".join(parts)


def find_latest(results_dir: str | Path, experiment: str, *, origins: Iterable[str] | None = LAB_ORIGINS) -> LatestRun:
    """Walk an experiment's runs newest first to the first intact one of `origins` (None: any origin)."""
    wanted = None if origins is None else frozenset(origins)
    ordered = run_files(results_dir, experiment)
    skipped: list[DamagedResultsError] = []
    other: list[str] = []
    found: Results | None = None
    for path, metadata in reversed(ordered):
        if metadata is not None and wanted is not None and not origin_in(metadata, wanted):
            other.append(str(metadata.get("origin")))
            continue
        try:
            found = load_results(path)
        except DamagedResultsError as exc:
            skipped.append(exc)
            continue
        break
    return LatestRun(experiment, Path(results_dir) / experiment, found, tuple(skipped), tuple(other), len(ordered))


def latest_results(
    results_dir: str | Path, experiment: str, *, origins: Iterable[str] | None = LAB_ORIGINS
) -> Results:
    """The newest intact run of an experiment among `origins` (None: any); damaged files are passed over."""
    found = find_latest(results_dir, experiment, origins=origins)
    if found.results is None:
        raise ResultsError(found.why_none())
    return found.results
