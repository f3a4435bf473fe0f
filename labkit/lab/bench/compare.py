"""Two saved runs side by side: every figure's ratio with a CI, regressions and improvements marked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from labkit.lab.bench.results import Results, load_results
from labkit.lab.bench.stats import ratio_of_medians
from labkit.lab.errors import ResultsError

__all__ = ["HIGHER_IS_BETTER", "RunComparison", "find_run", "compare_runs"]

HIGHER_IS_BETTER = frozenset({"rows/s", "ops/s", "req/s", "hit_rate", "%"})
_NOT_KEYS = {"value", "iteration", "phase", "inner", "experiment", "run_id", "label"}


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
    """One row per figure present in both runs: B's median over A's, its CI and a verdict."""

    a: Results
    b: Results
    table: pd.DataFrame
    threshold: float

    @property
    def regressions(self) -> pd.DataFrame:
        return self.table[self.table["verdict"] == "regression"]

    @property
    def improvements(self) -> pd.DataFrame:
        return self.table[self.table["verdict"] == "improvement"]

    def markdown(self) -> str:
        """A digest to paste into a pull request."""
        head = (
            f"**labkit compare** `{self.a.run_id}` (A) → `{self.b.run_id}` (B), "
            f"experiment `{self.b.metadata.get('experiment')}`, threshold ±{self.threshold:.0%}: "
            f"{len(self.regressions)} regression(s), {len(self.improvements)} improvement(s), "
            f"{len(self.table)} figure(s).\n\n"
        )
        lines = ["| figure | unit | A median | B median | B/A [95% CI] | verdict |", "|---|---|---|---|---|---|"]
        for row in self.table.itertuples(index=False):
            mark = {"regression": "❌ regression", "improvement": "✅ improvement"}.get(row.verdict, "same")
            lines.append(
                f"| {row.figure} | {row.unit} | {row.median_a:.4g} | {row.median_b:.4g} | "
                f"{row.ratio:.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}] | {mark} |"
            )
        return head + "\n".join(lines) + "\n"


def _figures(results: Results) -> dict[tuple, pd.Series]:
    frame = results.samples()
    frame = frame[frame["value"].notna()]  # unmeasured figures (a pending claim) have no value
    keys = [c for c in frame.columns if c not in _NOT_KEYS]
    return {
        (key if isinstance(key, tuple) else (key,)): group["value"]
        for key, group in frame.groupby(keys, sort=True, dropna=False)
    } if keys else {}


def compare_runs(a: Results, b: Results, *, threshold: float = 0.05) -> RunComparison:
    """Compare every figure that both runs measured; a CI entirely beyond ±threshold is a change."""
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    frame_a, frame_b = a.samples(), b.samples()
    keys_a = [c for c in frame_a.columns if c not in _NOT_KEYS]
    keys_b = [c for c in frame_b.columns if c not in _NOT_KEYS]
    if keys_a != keys_b:
        raise ResultsError(f"runs describe their figures differently: {keys_a} vs {keys_b}")
    fa, fb = _figures(a), _figures(b)
    shared = [k for k in fa if k in fb]
    if not shared:
        raise ResultsError(f"runs {a.run_id} and {b.run_id} have no figure in common")
    rows = []
    for key in shared:
        described = dict(zip(keys_a, key))
        unit = str(described.get("unit", "s"))
        r = ratio_of_medians(fa[key].to_numpy(), fb[key].to_numpy())
        worse_if_higher = unit not in HIGHER_IS_BETTER
        if r.ci_low > 1 + threshold:
            verdict = "regression" if worse_if_higher else "improvement"
        elif r.ci_high < 1 - threshold:
            verdict = "improvement" if worse_if_higher else "regression"
        else:
            verdict = "same"
        figure = ", ".join(f"{k}={v}" for k, v in described.items() if k != "unit" and not pd.isna(v))
        rows.append({"figure": figure, "unit": unit, "median_a": float(fa[key].median()),
                     "median_b": float(fb[key].median()), "ratio": r.value, "ci_low": r.ci_low,
                     "ci_high": r.ci_high, "verdict": verdict})
    return RunComparison(a, b, pd.DataFrame(rows), threshold)
