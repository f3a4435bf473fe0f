"""Which saved runs count as measurements of the lab: origin, machine and commit of each, damaged files skipped."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labkit.lab.bench.machine import fingerprint_of
from labkit.lab.bench.results import Results, list_runs, load_results
from labkit.lab.errors import ResultsError

__all__ = ["LAB_ORIGINS", "is_lab_run", "SkippedRun", "lab_runs", "parameters_of"]

# The one place that reads a run's origin (the results module will export both names; then import them here).
LAB_ORIGINS = frozenset({"report", "run", "load"})


def is_lab_run(metadata: Mapping[str, Any]) -> bool:
    """True for runs of `labkit run`/`report`/`load`, and for runs saved before origins were recorded."""
    origin = metadata.get("origin")
    return origin is None or origin in LAB_ORIGINS


@dataclass(frozen=True)
class SkippedRun:
    """A results file left out, and why (unreadable, damaged)."""

    path: Path
    reason: str


def parameters_of(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """A run's parameters (empty when it recorded none)."""
    return dict(metadata.get("parameters") or {})


def lab_runs(
    results_dir: str | Path,
    experiment: str,
    *,
    fingerprint: str | None = None,
    skipped: list[SkippedRun] | None = None,
) -> Iterator[Results]:
    """Saved lab runs of one experiment, oldest first; only this machine's when `fingerprint` is given."""
    for path in list_runs(results_dir, experiment):
        try:
            results = load_results(path)
        except ResultsError as exc:
            if skipped is not None:
                skipped.append(SkippedRun(path, str(exc)))
            continue
        if not is_lab_run(results.metadata):
            continue
        if fingerprint is not None and fingerprint_of(results.metadata) != fingerprint:
            continue
        yield results
