"""Which saved runs count as measurements of the lab: origin, machine and commit of each, damaged files skipped."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labkit.lab.bench.machine import fingerprint_of
from labkit.lab.bench.results import LAB_ORIGINS, Results, is_lab_run, load_results, run_files
from labkit.lab.errors import ResultsError, UncheckedResultsWarning

__all__ = ["LAB_ORIGINS", "is_lab_run", "SkippedRun", "lab_runs", "load_quietly", "parameters_of"]


@dataclass(frozen=True)
class SkippedRun:
    """A results file left out, and why (unreadable, damaged)."""

    path: Path
    reason: str


def parameters_of(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """A run's parameters (empty when it recorded none)."""
    return dict(metadata.get("parameters") or {})


def load_quietly(path: Path) -> Results:
    """`load_results` without the warning a schema-1 file (no checksum) raises: scans read many such files."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UncheckedResultsWarning)
        return load_results(path)


def lab_runs(
    results_dir: str | Path,
    experiment: str,
    *,
    fingerprint: str | None = None,
    skipped: list[SkippedRun] | None = None,
) -> Iterator[Results]:
    """Saved lab runs of one experiment, oldest first; only this machine's when `fingerprint` is given."""
    for path, metadata in run_files(results_dir, experiment):
        if metadata is not None and not is_lab_run(metadata):
            continue
        if metadata is not None and fingerprint is not None and fingerprint_of(metadata) != fingerprint:
            continue
        try:
            results = load_quietly(path)
        except ResultsError as exc:
            if skipped is not None:
                skipped.append(SkippedRun(path, str(exc)))
            continue
        yield results
