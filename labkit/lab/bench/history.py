"""Every lab run's figures across commits, per machine: `<data>/history/<fingerprint>.parquet`, then trends and steps.

The history is one row per (run, figure): commit, time, median and its CI. `sync_history` appends the
lab runs it has not seen (by run id) from the results folder, so a run stays in the history even after
its results file is deleted. Runs of uncommitted code (`-dirty`) are kept but left out of the trends.
"""

from __future__ import annotations

import json
import math
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from labkit.lab.bench.figures import run_figures
from labkit.lab.bench.lab_runs import SkippedRun, is_lab_run, load_quietly, parameters_of
from labkit.lab.bench.machine import fingerprint_of, machine_fingerprint
from labkit.lab.bench.noise import read_noise
from labkit.lab.bench.results import read_metadata, run_files
from labkit.lab.bench.stats import Z95
from labkit.lab.bench.steps import Step, find_steps
from labkit.lab.bench.units import HIGHER_IS_BETTER
from labkit.lab.errors import ResultsError

__all__ = ["HISTORY_COLUMNS", "history_path", "sync_history", "read_history", "commit_order", "FigureTrend",
           "trends"]

HISTORY_COLUMNS = ["experiment", "run_id", "commit", "time", "origin", "parameters", "figure", "unit", "n",
                   "median", "ci_low", "ci_high"]
_DRIFT_MIN_POINTS = 8


def history_path(data_dir: str | Path, fingerprint: str | None = None) -> Path:
    """`<data>/history/<fingerprint>.parquet`: one machine's history."""
    return Path(data_dir) / "history" / f"{fingerprint or machine_fingerprint()}.parquet"


def read_history(data_dir: str | Path, fingerprint: str | None = None) -> pd.DataFrame:
    """One machine's history (empty when nothing was recorded)."""
    path = history_path(data_dir, fingerprint)
    return pd.read_parquet(path) if path.is_file() else pd.DataFrame(columns=HISTORY_COLUMNS)


def _rows(results_path: Path, footer: dict[str, Any] | None) -> tuple[str, list[dict[str, object]]] | None:
    """The history rows of one lab run, by machine; `footer` is its metadata as already read (None: unreadable)."""
    if not is_lab_run(footer if footer is not None else read_metadata(results_path)):  # raises when damaged
        return None
    results = load_quietly(results_path)
    meta = results.metadata
    base = {"experiment": str(meta.get("experiment")), "run_id": results.run_id,
            "commit": str(meta.get("git_commit") or ""), "time": str(meta.get("time") or ""),
            "origin": str(meta.get("origin") or ""),
            "parameters": json.dumps(parameters_of(meta), sort_keys=True, default=str)}
    return fingerprint_of(meta), [{**base, **row} for row in run_figures(results).to_dict("records")]


def sync_history(results_dir: str | Path, data_dir: str | Path,
                 skipped: list[SkippedRun] | None = None) -> dict[str, int]:
    """Append every lab run not yet in its machine's history; returns how many runs each machine gained."""
    root = Path(results_dir)
    experiments = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    added: dict[str, list[dict[str, object]]] = {}
    stored = {p.stem: read_history(data_dir, p.stem) for p in (Path(data_dir) / "history").glob("*.parquet")}
    every_known = {run_id for frame in stored.values() for run_id in frame["run_id"]}
    gained: dict[str, int] = {}
    for experiment in experiments:
        for path, footer in run_files(root, experiment):
            if path.stem in every_known:
                continue
            try:
                found = _rows(path, footer)
            except ResultsError as exc:
                if skipped is not None:
                    skipped.append(SkippedRun(path, str(exc)))
                continue
            if found is None:
                continue
            fp, rows = found
            added.setdefault(fp, []).extend(rows)
            gained[fp] = gained.get(fp, 0) + 1
    for fp, rows in added.items():
        before = stored[fp] if fp in stored else read_history(data_dir, fp)
        frame = pd.concat([before, pd.DataFrame(rows, columns=HISTORY_COLUMNS)],
                          ignore_index=True)
        path = history_path(data_dir, fp)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".parquet.tmp")
        frame.to_parquet(tmp, index=False)
        tmp.replace(path)
    return gained


def commit_order(repo: str | Path) -> list[str]:
    """Commits reachable from HEAD, oldest first (topological), or [] outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-list", "--topo-order", "--reverse", "HEAD"], cwd=repo,
                             capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return out.split()


@dataclass
class FigureTrend:
    """One figure across commits: a point per commit (centre and 95% CI), the noise used and the confirmed steps."""

    experiment: str
    figure: str
    unit: str
    points: pd.DataFrame  # commit, position, runs, value, ci_low, ci_high
    noise: str
    steps: list[Step] = field(default_factory=list)
    parameters: str = ""  # set when the experiment ran with several parameter sets, to tell their trends apart

    def verdict(self, step: Step) -> str:
        worse = step.ratio > 1 if self.unit not in HIGHER_IS_BETTER else step.ratio < 1
        return "regression" if worse else "improvement"

    def commit_at(self, step: Step) -> str:
        return str(self.points["commit"].iloc[step.at])


def _within_var(group: pd.DataFrame) -> np.ndarray:
    low, high = np.log(group["ci_low"].clip(lower=1e-300)), np.log(group["ci_high"].clip(lower=1e-300))
    return np.asarray(((high - low) / (2 * Z95)) ** 2, dtype=float)


def _drift(logs: Sequence[float], variances: Sequence[float]) -> float:
    """Variance between commits beyond what replicates show (runs of one commit share a quiet or busy hour).

    Estimated from successive differences (robust to a few steps) once there are enough commits; else 0.
    """
    if len(logs) < _DRIFT_MIN_POINTS:
        return 0.0
    total = (1.4826 * float(np.median(np.abs(np.diff(logs))))) ** 2 / 2
    return max(0.0, total - float(np.mean(variances)))


def trends(history: pd.DataFrame, order: Sequence[str], data_dir: str | Path | None = None,
           *, threshold: float = 0.05, alpha: float = 0.05, fingerprint: str | None = None) -> list[FigureTrend]:
    """A trend per (experiment, parameters, figure) over the commits of `order`, with its confirmed steps."""
    position = {commit: i for i, commit in enumerate(order)}
    clean = history[history["commit"].isin(position) & (history["median"] > 0)]
    groups = list(clean.groupby(["experiment", "parameters", "figure", "unit"], sort=True))
    parameter_sets = clean.groupby("experiment")["parameters"].nunique().to_dict()
    noise_of = {str(e): read_noise(data_dir, str(e), fingerprint) if data_dir is not None else None
                for e in clean["experiment"].unique()}  # one read of the noise file per experiment, not per figure
    out = []
    for (experiment, params, figure, unit), rows in groups:
        rows = rows.assign(log=np.log(rows["median"].astype(float)), within=_within_var(rows))
        per = rows.groupby("commit")
        squares = float(sum(((g["log"] - g["log"].mean()) ** 2).sum() for _, g in per))
        df = int(sum(len(g) - 1 for _, g in per))
        record = noise_of[str(experiment)]
        spread = record.spreads.get((str(figure), str(unit))) if record else None
        if spread is not None:
            squares, df = squares + spread.squares, df + spread.df
        sigma2 = squares / df if df else math.nan
        noise = (f"run-to-run ±{math.sqrt(sigma2):.1%} ({df} df)" if df
                 else "within-run only: no replicate runs or calibration, CIs too narrow")
        points, logs, variances = [], [], []
        for commit, g in sorted(per, key=lambda item: position[str(item[0])]):
            k = len(g)
            var = max(sigma2 if df else 0.0, float(g["within"].mean())) / k
            centre = float(g["log"].mean())
            half = Z95 * math.sqrt(var)
            points.append({"commit": commit, "position": position[str(commit)], "runs": k,
                           "value": math.exp(centre), "ci_low": math.exp(centre - half),
                           "ci_high": math.exp(centre + half)})
            logs.append(centre)
            variances.append(var)
        drift = _drift(logs, variances)
        if drift > 0:
            variances = [v + drift for v in variances]
            noise += f", drift between commits ±{math.sqrt(drift):.1%}"
        steps = find_steps(logs, variances, df=df or None, threshold=threshold, alpha=alpha, tests=len(groups))
        shown = str(params) if parameter_sets[experiment] > 1 else ""
        out.append(FigureTrend(str(experiment), str(figure), str(unit), pd.DataFrame(points), noise, steps, shown))
    return out
