"""The machine's run-to-run noise: how far a figure's median moves between runs of the same code.

A figure's noise is the standard deviation of the log of its per-run median across replicate runs
(same code, same machine, same parameters), pooled over every group of replicates available: a
calibration record (`labkit compare --calibrate`) and replicate runs already saved.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from labkit.lab.bench.figures import run_figures
from labkit.lab.bench.lab_runs import lab_runs, parameters_of
from labkit.lab.bench.machine import fingerprint_of, machine_fingerprint, machine_identity
from labkit.lab.bench.results import Results, parameters_digest
from labkit.lab.errors import ResultsError

__all__ = ["Spread", "NoiseRecord", "noise_path", "replicate_spread", "write_noise", "read_noise", "saved_spread"]

Figure = tuple[str, str]  # (label, unit)


@dataclass(frozen=True)
class Spread:
    """Pooled run-to-run spread of one figure: sum of squared log deviations and its degrees of freedom."""

    squares: float
    df: int

    @property
    def sigma(self) -> float:
        """Standard deviation of log(median) between runs: 0.05 means medians move about ±5% run to run."""
        return math.sqrt(self.squares / self.df) if self.df else math.nan

    def __add__(self, other: Spread) -> Spread:
        return Spread(self.squares + other.squares, self.df + other.df)


def replicate_spread(groups: Iterable[Sequence[Results]]) -> dict[Figure, Spread]:
    """Pooled spread per figure over groups of replicate runs (each group: same code, machine and parameters)."""
    pooled: dict[Figure, Spread] = {}
    for group in groups:
        logs: dict[Figure, list[float]] = {}
        for results in group:
            for row in run_figures(results).itertuples(index=False):
                if row.median > 0:
                    logs.setdefault((row.figure, row.unit), []).append(math.log(row.median))
        for figure, values in logs.items():
            if len(values) >= 2:
                x = np.asarray(values)
                part = Spread(float(((x - x.mean()) ** 2).sum()), len(values) - 1)
                pooled[figure] = pooled[figure] + part if figure in pooled else part
    return pooled


def saved_spread(
    results_dir: str | Path, experiment: str, fingerprint: str, parameters: Mapping[str, Any],
    exclude: Iterable[str] = (),
) -> tuple[dict[Figure, Spread], int]:
    """Spread from saved lab runs of this machine with these parameters, grouped by clean commit; and how many runs."""
    left_out, wanted = set(exclude), parameters_digest(parameters)
    groups: dict[str, list[Results]] = {}
    for results in lab_runs(results_dir, experiment, fingerprint=fingerprint):
        commit = results.metadata.get("git_commit")
        if not commit or str(commit).endswith("-dirty"):  # uncommitted code: two such runs may differ in code
            continue
        if results.run_id in left_out or parameters_digest(parameters_of(results.metadata)) != wanted:
            continue
        groups.setdefault(str(commit), []).append(results)
    used = [g for g in groups.values() if len(g) >= 2]
    return replicate_spread(used), sum(len(g) for g in used)


@dataclass(frozen=True)
class NoiseRecord:
    """A calibration of one experiment on one machine: the spread of each figure over N runs of one commit."""

    experiment: str
    fingerprint: str
    commit: str | None
    parameters: dict[str, Any]
    run_ids: list[str]
    time: str
    spreads: dict[Figure, Spread]


def noise_path(data_dir: str | Path, fingerprint: str | None = None) -> Path:
    """`<data>/noise/<fingerprint>.json`: the noise records of one machine, one entry per experiment."""
    return Path(data_dir) / "noise" / f"{fingerprint or machine_fingerprint()}.json"


def write_noise(data_dir: str | Path, runs: Sequence[Results]) -> NoiseRecord:
    """Record the spread of replicate runs (one experiment, one machine) as that machine's noise for it."""
    if len(runs) < 2:
        raise ResultsError(f"a noise record needs at least 2 runs of the same code, got {len(runs)}")
    first = runs[0].metadata
    experiment, fingerprint = str(first.get("experiment")), fingerprint_of(first)
    for results in runs[1:]:
        meta = results.metadata
        if (meta.get("experiment"), fingerprint_of(meta)) != (experiment, fingerprint):
            raise ResultsError(f"run {results.run_id} is not of {experiment} on machine {fingerprint}")
    record = NoiseRecord(
        experiment=experiment, fingerprint=fingerprint, commit=first.get("git_commit"),
        parameters=parameters_of(first), run_ids=[r.run_id for r in runs],
        time=datetime.now(timezone.utc).isoformat(timespec="seconds"), spreads=replicate_spread([runs]),
    )
    path = noise_path(data_dir, fingerprint)
    stored: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {}
    identity = machine_identity() if fingerprint == machine_fingerprint() else stored.get("machine")
    stored.update({"fingerprint": fingerprint, "machine": identity})
    stored.setdefault("experiments", {})[experiment] = {
        "commit": record.commit, "parameters": record.parameters, "run_ids": record.run_ids, "time": record.time,
        "figures": [{"figure": f, "unit": u, "sigma": s.sigma, "df": s.df, "squares": s.squares}
                    for (f, u), s in sorted(record.spreads.items())],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stored, indent=2), encoding="utf-8")
    return record


def read_noise(data_dir: str | Path, experiment: str, fingerprint: str | None = None) -> NoiseRecord | None:
    """This machine's calibration of `experiment`, or None when it was never calibrated."""
    path = noise_path(data_dir, fingerprint)
    if not path.is_file():
        return None
    try:
        stored = json.loads(path.read_text())
        entry = stored["experiments"][experiment]
        spreads = {(f["figure"], f["unit"]): Spread(float(f["squares"]), int(f["df"])) for f in entry["figures"]}
    except KeyError:
        return None
    except (ValueError, TypeError) as exc:
        raise ResultsError(f"{path} is not a readable noise record: {exc}") from exc
    return NoiseRecord(experiment, str(stored["fingerprint"]), entry.get("commit"), dict(entry["parameters"]),
                       list(entry["run_ids"]), str(entry["time"]), spreads)
