"""Hit-rate results read back: each workload's steady-state hit rate, and what reaching a target takes.

Steady state is the windows after the warm-up (the `sample` rows that `hit_rate_frame` wrote);
a workload's figure is the median of those windows with a bootstrap 95% CI. What a target
would take comes from the measured runs, beside the models of `ZipfWorkload` for the same workload.
"""

from __future__ import annotations

import functools
import math

import pandas as pd

from labkit.lab.bench.stats import summarize
from labkit.lab.experiments.cache.workload import ZipfWorkload

__all__ = ["SETTINGS", "RISING_POINTS", "steady_hit_rates", "with_models", "reach_table", "describe_reach"]

SETTINGS = ("backend", "policy", "skew", "n_keys", "cache_size", "ttl", "rate", "held")
_COUNTS = ("n_keys", "cache_size", "held")
RISING_POINTS = 2.0  # a workload whose last windows beat its first steady ones by more was still warming up


def steady_hit_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per workload (case): its settings, median steady-state hit rate (%) and CI, in run order;
    `still_rising` when the cache was still filling as the run ended (its figure is then a lower bound)."""
    samples = frame[frame["phase"] == "sample"]
    rows = []
    for case, group in samples.groupby("case", sort=False):
        values = group.sort_values("iteration")["value"].to_numpy()
        s = summarize(values)
        quarter = max(1, len(values) // 4)
        first = group.iloc[0]
        rows.append({"case": case, "label": first["label"],
                     **{c: int(first[c]) if c in _COUNTS else first[c] for c in SETTINGS if c in group.columns},
                     "hit_rate": s.median, "ci_low": s.ci_low, "ci_high": s.ci_high,
                     "still_rising": bool(values[-quarter:].mean() - values[:quarter].mean() > RISING_POINTS),
                     "requests": int(group["requests"].sum()) if "requests" in group else s.n})
    return pd.DataFrame(rows)


@functools.lru_cache(maxsize=64)
def _workload(n_keys: int, skew: float) -> ZipfWorkload:
    return ZipfWorkload(n_keys, skew)  # one per workload: its probabilities are computed once


def with_models(steady: pd.DataFrame) -> pd.DataFrame:
    """`steady` plus what the models allow each workload (%): `best_possible` (the hottest keys held)
    and `lru_model` (an LRU without expiry, by Che's approximation)."""
    out = steady.copy()
    workloads = [_workload(int(n), float(s)) for n, s in zip(out["n_keys"], out["skew"])]
    out["best_possible"] = [100 * w.top_k_hit_rate(int(k)) for w, k in zip(workloads, out["cache_size"])]
    out["lru_model"] = [100 * w.lru_hit_rate(int(k)) for w, k in zip(workloads, out["cache_size"])]
    return out


def _fmt_size(size: float | None) -> str:
    return "—" if size is None or (isinstance(size, float) and math.isnan(size)) else f"{int(size):,}"


def reach_table(steady: pd.DataFrame, target: float) -> pd.DataFrame:
    """Per workload family (all but cache size): the smallest measured cache that reached `target` %,
    the largest measured, and the fewest entries the models say reaching it takes."""
    by = [c for c in ("backend", "policy", "skew", "n_keys", "ttl") if c in steady.columns]
    rows = []
    for key, group in steady.groupby(by, sort=False, dropna=False):
        settings = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        reached = group[group["hit_rate"] >= target]
        workload = _workload(int(settings["n_keys"]), float(settings["skew"]))
        rows.append({
            **settings,
            "smallest cache reaching it": _fmt_size(reached["cache_size"].min() if len(reached) else None),
            "largest cache measured": _fmt_size(group["cache_size"].max()),
            "best hit rate (%)": round(float(group["hit_rate"].max()), 1),
            "any cache needs at least": _fmt_size(workload.smallest_cache_for(target / 100)),
            "LRU needs about": _fmt_size(workload.lru_cache_for(target / 100)),
        })
    return pd.DataFrame(rows)


def _where(row: pd.Series) -> str:
    if row.get("backend") == "redis":
        return f"Redis {row['policy']}"
    return f"TTL {row['ttl']:g} s"


def describe_reach(steady: pd.DataFrame, target: float) -> str:
    """Per skew: the smallest share of keys cached that reached `target` %, or how close it came,
    and the fewest entries even a perfect cache (the hottest keys) needs for it."""
    parts = []
    for skew, group in steady.groupby("skew", sort=True):
        reached = group[group["hit_rate"] >= target]
        if len(reached):
            shares = reached["cache_size"] / reached["n_keys"]
            row = reached.loc[shares.idxmin()]
            text = (f"skew {skew:g}: from {int(row['cache_size']):,} of {int(row['n_keys']):,} keys cached "
                    f"({shares.min():.0%}), {_where(row)} ({row['hit_rate']:.1f}%)")
        else:
            row = group.loc[group["hit_rate"].idxmax()]
            rising = " and still rising as the run ended" if row.get("still_rising", False) else ""
            text = (f"skew {skew:g}: never (best {row['hit_rate']:.1f}% with {int(row['cache_size']):,} of "
                    f"{int(row['n_keys']):,} keys cached{rising})")
        need = _workload(int(row["n_keys"]), float(skew)).smallest_cache_for(target / 100)
        parts.append(f"{text}, where even a perfect cache needs {need:,}")
    return "; ".join(parts)
