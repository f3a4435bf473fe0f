"""Tables and ratios computed from a saved results frame (never from numbers typed by hand)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from labkit.lab.bench.stats import Ratio, ratio_of_medians, summarize
from labkit.lab.errors import ParameterError

__all__ = ["summary_table", "readable_summary", "ratio_between", "noise_floor"]

_SCALE = {"s": 1.0, "ms": 1e3, "us": 1e6}
_SUFFIX = {"s": "s", "ms": "ms", "us": "µs"}


def summary_table(frame: pd.DataFrame, by: Sequence[str] = ("case",), value: str = "value") -> pd.DataFrame:
    """One row per group of timed samples: n, median, p95, p99, IQR, CI of the median."""
    samples = frame[frame["phase"] == "sample"] if "phase" in frame else frame
    rows = []
    for key, group in samples.groupby(list(by), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        s = summarize(group[value].to_numpy())
        rows.append({**dict(zip(by, key)), "n": s.n, "median": s.median, "p95": s.p95, "p99": s.p99,
                     "iqr": s.iqr, "ci_low": s.ci_low, "ci_high": s.ci_high})
    return pd.DataFrame(rows)


def readable_summary(table: pd.DataFrame, *, index: str = "case", unit: str = "us", digits: int = 1) -> pd.DataFrame:
    """A `summary_table` for display: times in `unit`, rounded, headed `median (µs)` and so on."""
    if unit not in _SCALE:
        raise ParameterError(f"unknown unit {unit!r}; use one of {', '.join(_SCALE)}")
    shown = table.set_index(index)
    timed = [c for c in ("median", "p95", "p99", "iqr", "ci_low", "ci_high") if c in shown]
    out = (shown[timed] * _SCALE[unit]).round(digits)
    out.columns = [f"{c} ({_SUFFIX[unit]})" for c in timed]
    if "n" in shown:
        out.insert(0, "n", shown["n"].astype(int))
    return out


def ratio_between(frame: pd.DataFrame, a: str, b: str, *, column: str = "case", value: str = "value") -> Ratio:
    """median(b)/median(a) with a bootstrap CI, from the timed samples of two cases in one run."""
    samples = frame[frame["phase"] == "sample"] if "phase" in frame else frame
    xa = samples.loc[samples[column] == a, value].to_numpy()
    xb = samples.loc[samples[column] == b, value].to_numpy()
    for name, x in ((a, xa), (b, xb)):
        if x.size == 0:
            known = ", ".join(map(str, samples[column].unique()))
            raise ParameterError(f"no samples of {name!r} in column {column!r}; present: {known}")
    return ratio_of_medians(xa, xb)


def noise_floor(aa: Ratio) -> float:
    """The smallest relative difference an A/A ratio's CI says this machine can tell apart."""
    return max(abs(1.0 - aa.ci_low), abs(aa.ci_high - 1.0))
