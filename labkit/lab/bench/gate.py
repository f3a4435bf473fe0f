"""`labkit compare` end to end: find both sides, warn when they differ, gather the noise, judge."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from labkit.lab.bench.compare import RunComparison, compare_runs, find_run
from labkit.lab.bench.lab_runs import lab_runs, parameters_of
from labkit.lab.bench.machine import fingerprint_of
from labkit.lab.bench.noise import NoiseRecord, Spread, read_noise, replicate_spread, saved_spread, write_noise
from labkit.lab.bench.results import Results, load_results
from labkit.lab.errors import ResultsError
from labkit.settings import Settings

__all__ = ["resolve_side", "mismatches", "gather_noise", "gate", "calibrate"]

Figure = tuple[str, str]


def resolve_side(ref: str, results_dir: str | Path, experiment: str | None = None) -> list[Results]:
    """Runs named by `ref`: a run id or .parquet path, several joined by commas, or `@COMMIT` (needs `experiment`)."""
    if ref.startswith("@"):
        if not experiment:
            raise ResultsError(f"{ref!r} names a commit: say which experiment with --experiment")
        prefix = ref[1:]
        runs = [r for r in lab_runs(results_dir, experiment)
                if str(r.metadata.get("git_commit") or "").startswith(prefix)]
        if not runs:
            raise ResultsError(f"no lab run of {experiment} on a commit starting with {prefix!r} under {results_dir}")
        return runs
    return [find_run(part.strip(), results_dir) for part in ref.split(",") if part.strip()]


def _differences(name: str, values: Sequence[Any]) -> str | None:
    shown = [json.dumps(v, sort_keys=True, default=str) for v in values]
    if len(set(shown)) <= 1:
        return None
    if all(isinstance(v, Mapping) for v in values):
        keys = sorted({k for v in values for k in v})
        changed = [k for k in keys if len({json.dumps(v.get(k), default=str) for v in values}) > 1]
        detail = ", ".join(f"{k}: " + " vs ".join(_distinct(str(v.get(k)) for v in values)) for k in changed[:6])
        return f"{name} differ ({detail})"
    return f"{name} differ: " + " vs ".join(_distinct(shown))


def _distinct(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def mismatches(a: Sequence[Results], b: Sequence[Results]) -> list[str]:
    """What differs between the runs beyond the code: parameters, backends, versions, servers, machine."""
    runs = [*a, *b]
    experiments = {r.metadata.get("experiment") for r in runs}
    if len(experiments) > 1:
        raise ResultsError(f"runs of different experiments cannot be compared: {sorted(map(str, experiments))}")
    found = [
        _differences("parameters", [parameters_of(r.metadata) for r in runs]),
        _differences("backends", [r.metadata.get("backends") or {} for r in runs]),
        _differences("library versions", [r.metadata.get("packages") or {} for r in runs]),
        _differences("server versions", [r.metadata.get("server_versions") or {} for r in runs]),
        _differences("machines", [fingerprint_of(r.metadata) for r in runs]),
    ]
    return [f for f in found if f]


def gather_noise(
    a: Sequence[Results], b: Sequence[Results], settings: Settings
) -> tuple[dict[Figure, Spread], str, list[str]]:
    """Pooled run-to-run spread per figure from this machine's record, saved replicates and the sides themselves."""
    meta = b[0].metadata
    experiment, fingerprint, parameters = str(meta.get("experiment")), fingerprint_of(meta), parameters_of(meta)
    pooled: dict[Figure, Spread] = {}
    sources, notes = [], []

    def add(part: Mapping[Figure, Spread]) -> None:
        for figure, spread in part.items():
            pooled[figure] = pooled[figure] + spread if figure in pooled else spread

    record = read_noise(settings.data_dir, experiment, fingerprint)
    if record is not None:
        add(record.spreads)
        sources.append(f"calibration of {len(record.run_ids)} runs ({record.time[:10]})")
        if record.parameters != parameters:
            notes.append(f"the noise record of {experiment} was measured with other parameters "
                         f"({record.parameters}); recalibrate with these for a fair floor")
    saved, count = saved_spread(settings.results_dir, experiment, fingerprint, parameters,
                                exclude=[r.run_id for r in (*a, *b)])
    if saved:
        add(saved)
        sources.append(f"{count} saved replicate runs")
    sides = [side for side in (a, b) if len(side) >= 2]
    if sides:
        add(replicate_spread(sides))
        sources.append("the replicates on each side")
    if not pooled:
        notes.append(f"no noise record for {experiment} on this machine ({fingerprint}): the floor comes from this "
                     f"pair's own figures, so a change shared by every figure looks like machine drift; "
                     f"`labkit compare --calibrate {experiment} --runs 10` measures it")
    source = "run-to-run spread of this machine from " + " + ".join(sources) if sources else ""
    return pooled, source, notes


def gate(
    ref_a: str, ref_b: str, settings: Settings, *, threshold: float = 0.05, alpha: float = 0.05,
    experiment: str | None = None,
) -> RunComparison:
    """Compare two sides named on the command line against this machine's noise, with every warning."""
    a = resolve_side(ref_a, settings.results_dir, experiment)
    b = resolve_side(ref_b, settings.results_dir, experiment)
    noise, source, notes = gather_noise(a, b, settings)
    return compare_runs(a, b, threshold=threshold, alpha=alpha, noise=noise, noise_source=source or None,
                        differences=mismatches(a, b), notes=notes)


def calibrate(
    experiment: str, runs: int, settings: Settings, parameters: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] = print,
) -> NoiseRecord:
    """Run a notebook `runs` times, as `labkit run` does, and record the spread of its figures for this machine."""
    if runs < 2:
        raise ResultsError(f"--runs must be at least 2 to measure a spread, got {runs}")
    saved = []
    for i in range(runs):
        saved.append(run_saved(experiment, settings, parameters, what=f"calibration run {i + 1} of {experiment}"))
        progress(f"calibration run {i + 1}/{runs}: {saved[-1].run_id}")
    return write_noise(settings.data_dir, saved)


def run_saved(
    experiment: str, settings: Settings, parameters: Mapping[str, Any] | None = None, *, update_index: bool = True,
    what: str | None = None,
) -> Results:
    """Run a notebook as `labkit run` does and read back the run it saved; a failed run raises `ResultsError`."""
    from labkit.lab.report.runner import run_notebook

    record = run_notebook(experiment, settings, parameters, progress=False, update_index=update_index)
    if not record.ok or not record.run_id:
        raise ResultsError(f"{what or experiment} failed: {record.error}")
    return load_results(settings.results_dir / record.name / f"{record.run_id}.parquet")
