"""A run's figures: every group of timed samples that one set of key columns names, and its median."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd

from labkit.lab.bench.results import Results

__all__ = ["NOT_KEYS", "figure_columns", "figure_samples", "run_figures", "median_interval"]

NOT_KEYS = frozenset({"value", "iteration", "phase", "inner", "experiment", "run_id", "label"})


def figure_columns(frame: pd.DataFrame) -> list[str]:
    """The columns that name a figure (case, kind, backend, unit, …): all but values and bookkeeping."""
    return [c for c in frame.columns if c not in NOT_KEYS]


def _label(described: dict[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in described.items() if k != "unit" and not pd.isna(v))  # type: ignore[call-overload]


def figure_samples(results: Results) -> dict[tuple[str, str], np.ndarray]:
    """Timed samples by (figure label, unit); unmeasured rows (no value) left out."""
    frame = results.samples()
    frame = frame[frame["value"].notna()]
    keys = figure_columns(frame)
    if not keys or frame.empty:
        return {}
    out: dict[tuple[str, str], np.ndarray] = {}
    for key, group in frame.groupby(keys, sort=True, dropna=False):
        described = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        unit = str(described.get("unit", "s"))
        out[(_label(described), unit)] = group["value"].to_numpy(dtype=float)
    return out


def median_interval(samples: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    """Distribution-free CI of the median from binomial order statistics (no resampling: fast on many runs)."""
    x = np.sort(np.asarray(samples, dtype=float))
    n = x.size
    if n < 3:
        return float(x[0]), float(x[-1])
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    half = z * math.sqrt(n) / 2
    low = max(0, int(math.floor(n / 2 - half)))
    high = min(n - 1, int(math.ceil(n / 2 + half)))
    return float(x[low]), float(x[high])


def run_figures(results: Results) -> pd.DataFrame:
    """One row per figure of a run: label, unit, n, median and the 95% CI of the median."""
    rows = []
    for (label, unit), values in figure_samples(results).items():
        low, high = median_interval(values)
        rows.append({"figure": label, "unit": unit, "n": int(values.size), "median": float(np.median(values)),
                     "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows, columns=["figure", "unit", "n", "median", "ci_low", "ci_high"])
