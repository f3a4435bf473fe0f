"""Two runs (or two sets of replicate runs) side by side: a figure regresses only beyond the noise.

A figure counts as changed when all three hold (family-wise error `alpha`, Bonferroni over figures):
its within-run bootstrap CI of the ratio excludes 1; the change of its log median exceeds the
run-to-run noise (Student's t on the noise of this machine: calibration record and replicate runs,
else the spread of the pair's own figures); and it moves by more than `threshold`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from labkit.lab.bench.figures import figure_columns, figure_samples
from labkit.lab.bench.noise import Spread
from labkit.lab.bench.results import Results, load_results
from labkit.lab.bench.stats import ratio_of_medians_at, t_quantile
from labkit.lab.bench.units import HIGHER_IS_BETTER, format_change, format_value
from labkit.lab.errors import ParameterError, ResultsError

__all__ = ["HIGHER_IS_BETTER", "RunComparison", "find_run", "judge_figures", "compare_runs"]

Figure = tuple[str, str]
_MAD_TO_SIGMA = 1.4826


def find_run(ref: str | Path, results_dir: str | Path) -> Results:
    """A saved run by path, or by run id searched under every experiment of `results_dir`."""
    path = Path(ref)
    if path.suffix == ".parquet":
        return load_results(path)
    matches = sorted(Path(results_dir).glob(f"*/{ref}.parquet"))
    if not matches:
        raise ResultsError(f"no saved run {str(ref)!r} under {results_dir} (give a run id or a .parquet path)")
    if len(matches) > 1:
        raise ResultsError(f"run id {str(ref)!r} matches several files: {[str(m) for m in matches]}")
    return load_results(matches[0])


@dataclass(frozen=True)
class RunComparison:
    """One row per figure present on both sides: B's median over A's, its CI, the noise floor and a verdict."""

    a: list[Results]
    b: list[Results]
    table: pd.DataFrame
    threshold: float
    alpha: float
    noise_source: str
    differences: list[str] = field(default_factory=list)  # beyond the code: parameters, backends, versions, machine
    notes: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """Differences first, then notes on the noise."""
        return self.differences + self.notes

    @property
    def regressions(self) -> pd.DataFrame:
        return self.table[self.table["verdict"] == "regression"]

    @property
    def improvements(self) -> pd.DataFrame:
        return self.table[self.table["verdict"] == "improvement"]

    def markdown(self) -> str:
        """A digest to paste into a pull request: counts, the noise it judged against, warnings, a table."""
        def runs(side: list[Results]) -> str:
            return ", ".join(f"`{r.run_id}`" for r in side)

        head = (
            f"**labkit compare** {runs(self.a)} (A) → {runs(self.b)} (B), experiment "
            f"`{self.b[0].metadata.get('experiment')}`: {len(self.regressions)} regression(s), "
            f"{len(self.improvements)} improvement(s), {len(self.table)} figure(s).\n\n"
            f"Noise: {self.noise_source}. A change counts when it clears the within-run 95% CI, the noise floor "
            f"(family-wise α={self.alpha:g} over {len(self.table)} figures) and ±{self.threshold:.0%}.\n\n"
        )
        head += "".join(f"> ⚠ {w}\n>\n" for w in self.warnings) + ("\n" if self.warnings else "")
        lines = ["| figure | A median | B median | change [95% CI] | noise floor | verdict |",
                 "|---|---|---|---|---|---|"]
        for row in self.table.itertuples(index=False):
            mark = {"regression": "❌ regression", "improvement": "✅ improvement"}.get(row.verdict, "same")
            floor = f"±{row.floor:.1%}" if math.isfinite(row.floor) else "unknown"
            lines.append(
                f"| {row.figure} | {format_value(row.median_a, row.unit)} | {format_value(row.median_b, row.unit)} | "
                f"{format_change(row.ratio)} [{format_change(row.ci_low)}, {format_change(row.ci_high)}] | "
                f"{floor} | {mark} |"
            )
        return head + "\n".join(lines) + "\n"


def _cross_figure_sigma(changes: Sequence[float]) -> float:
    """Spread of the pair's log changes across figures (robust: most figures are assumed unchanged)."""
    return _MAD_TO_SIGMA * float(np.median(np.abs(changes))) if len(changes) >= 3 else math.nan


def _verdict(log_change: float, ratio_ci: tuple[float, float], bound: float, threshold: float, unit: str) -> str:
    ratio = math.exp(log_change)
    up = ratio_ci[0] > 1 and log_change > bound and ratio > 1 + threshold
    down = ratio_ci[1] < 1 and -log_change > bound and ratio < 1 - threshold
    if not (up or down):
        return "same"
    worse = up if unit not in HIGHER_IS_BETTER else down
    return "regression" if worse else "improvement"


def judge_figures(
    runs_a: Sequence[Mapping[Figure, np.ndarray]],
    runs_b: Sequence[Mapping[Figure, np.ndarray]],
    *,
    threshold: float = 0.05,
    alpha: float = 0.05,
    noise: Mapping[Figure, Spread] | None = None,
    cis: bool = True,
) -> pd.DataFrame:
    """The gate on samples grouped by figure (one mapping per run); `cis=False` bootstraps only where it decides."""
    if threshold < 0 or not 0 < alpha < 1:
        raise ParameterError(f"need threshold >= 0 and 0 < alpha < 1, got threshold={threshold}, alpha={alpha}")
    shared = [f for f in runs_a[0] if all(f in run for run in [*runs_a, *runs_b])]
    m = len(shared)
    per_figure = alpha / max(m, 1)
    changes = {}
    for f in shared:
        la = [math.log(max(float(np.median(run[f])), 1e-300)) for run in runs_a]
        lb = [math.log(max(float(np.median(run[f])), 1e-300)) for run in runs_b]
        changes[f] = (float(np.mean(lb) - np.mean(la)), la, lb)
    known = dict(noise or {})
    fallback = _cross_figure_sigma([c for c, _, _ in changes.values()])
    rows = []
    for f in shared:
        change, la, lb = changes[f]
        spread = known.get(f)
        if spread is not None and spread.df >= 1:
            se = spread.sigma * math.sqrt(1 / len(la) + 1 / len(lb))
            bound = t_quantile(1 - per_figure / 2, spread.df) * se
        elif math.isfinite(fallback):
            bound = t_quantile(1 - per_figure / 2, m - 1) * fallback
        else:
            bound = 0.0  # nothing known about the noise: the within-run CI and the threshold decide alone
        xa = np.concatenate([run[f] for run in runs_a])
        xb = np.concatenate([run[f] for run in runs_b])
        if np.median(xa) <= 0:
            continue
        label, unit = f
        ratio = math.exp(change)
        if cis or (abs(change) > bound and abs(ratio - 1) > threshold):
            within, shown = ratio_of_medians_at(xa, xb, [1 - per_figure, 0.95])
            verdict = _verdict(change, (within.ci_low, within.ci_high), bound, threshold, unit)
            low, high = shown.ci_low, shown.ci_high
        else:
            verdict, low, high = "same", math.nan, math.nan
        rows.append({
            "figure": label, "unit": unit, "median_a": float(np.median(xa)), "median_b": float(np.median(xb)),
            "ratio": ratio, "ci_low": low, "ci_high": high,
            "floor": math.expm1(bound) if bound > 0 or spread is not None else math.nan, "verdict": verdict,
        })
    return pd.DataFrame(rows, columns=["figure", "unit", "median_a", "median_b", "ratio", "ci_low", "ci_high",
                                       "floor", "verdict"])


def compare_runs(
    a: Results | Sequence[Results],
    b: Results | Sequence[Results],
    *,
    threshold: float = 0.05,
    alpha: float = 0.05,
    noise: Mapping[Figure, Spread] | None = None,
    noise_source: str | None = None,
    differences: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> RunComparison:
    """Compare every figure both sides measured, against the run-to-run `noise` of each figure when known."""
    side_a = [a] if isinstance(a, Results) else list(a)
    side_b = [b] if isinstance(b, Results) else list(b)
    if not side_a or not side_b:
        raise ResultsError("each side of a comparison needs at least one run")
    keys_a, keys_b = figure_columns(side_a[0].samples()), figure_columns(side_b[0].samples())
    if keys_a != keys_b:
        raise ResultsError(f"runs describe their figures differently: {keys_a} vs {keys_b}")
    runs_a = [figure_samples(r) for r in side_a]
    runs_b = [figure_samples(r) for r in side_b]
    table = judge_figures(runs_a, runs_b, threshold=threshold, alpha=alpha, noise=noise)
    if table.empty:
        raise ResultsError(f"runs {side_a[0].run_id} and {side_b[0].run_id} have no figure in common")
    if noise_source is None:
        noise_source = ("given per figure" if noise else "the spread of this pair's own figures (no record)"
                        if len(table) >= 3 else "unknown: within-run CI only")
    return RunComparison(side_a, side_b, table, threshold, alpha, noise_source, list(differences), list(notes))
