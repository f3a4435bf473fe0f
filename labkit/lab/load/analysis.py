"""Statistics of a load run, from its raw rows: per-step percentiles, mode ratios with CIs, memory trend."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from labkit.lab.bench.stats import Ratio, ratio_of_medians
from labkit.lab.errors import ParameterError

__all__ = ["step_table", "mode_ratios", "memory_table", "ratio_of_quantiles", "STEP_KEYS"]

STEP_KEYS = ["mode", "loop", "users", "rate"]


def _samples(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    return frame[(frame["kind"] == kind) & (frame["phase"] == "sample")]


def _matching(frame: pd.DataFrame, where: dict[str, Any]) -> pd.DataFrame:
    pick = pd.Series(True, index=frame.index)
    for column, value in where.items():
        pick &= frame[column] == value
    return frame[pick]


def step_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per mode and step: requests, errors, requests/s, p50/p95/p99 (ms), hit rate, queries/request."""
    lat, thr, srv = _samples(frame, "latency"), _samples(frame, "throughput"), _samples(frame, "server")
    rows = []
    for key, group in lat.groupby(STEP_KEYS, sort=False):
        ms = group["value"].to_numpy() * 1e3
        mine = dict(zip(STEP_KEYS, key))
        bins = _matching(thr, mine)
        server = _matching(srv, mine)
        per_case = dict(zip(server["case"], server["value"]))
        p50, p95, p99 = np.percentile(ms, [50, 95, 99])
        errors = int((~group["ok"].astype(bool)).sum())
        rows.append({**mine, "step": group["step"].iloc[0], "requests": len(group), "errors": errors,
                     "error_rate": errors / len(group),
                     "requests_per_s": float(bins["value"].mean()) if len(bins) else float("nan"),
                     "p50_ms": p50, "p95_ms": p95, "p99_ms": p99, "mean_ms": float(ms.mean()),
                     "hit_rate_pct": per_case.get("cache_hit_rate", float("nan")),
                     "queries_per_request": per_case.get("queries_per_request", float("nan"))})
    return pd.DataFrame(rows)


def ratio_of_quantiles(a: np.ndarray, b: np.ndarray, q: float, *, resamples: int = 1000, seed: int = 0) -> Ratio:
    """quantile_q(b) / quantile_q(a) with a percentile-bootstrap 95% CI (both resampled independently)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.size == 0 or b.size == 0:
        raise ParameterError("both sample sets must be non-empty")
    rng = np.random.default_rng(seed)
    qa = np.quantile(a[rng.integers(0, a.size, (resamples, a.size))], q, axis=1)
    qb = np.quantile(b[rng.integers(0, b.size, (resamples, b.size))], q, axis=1)
    ratios = qb / np.where(qa > 0, qa, np.nan)
    ratios = ratios[np.isfinite(ratios)]
    low, high = np.quantile(ratios, [0.025, 0.975])
    return Ratio(float(np.quantile(b, q) / np.quantile(a, q)), float(low), float(high))


def mode_ratios(frame: pd.DataFrame, before: str = "baseline", after: str = "optimized") -> pd.DataFrame:
    """Per step run in both modes: after/before of requests/s (median per bin) and of p50/p95 latency."""
    lat, thr = _samples(frame, "latency"), _samples(frame, "throughput")
    rows: list[dict[str, Any]] = []
    steps = lat[["loop", "users", "rate", "step"]].drop_duplicates()
    for loop, users, rate, step in steps.itertuples(index=False):
        pick = (lat["loop"] == loop) & (lat["users"] == users) & (lat["rate"] == rate)
        a = lat[pick & (lat["mode"] == before)]["value"].to_numpy()
        b = lat[pick & (lat["mode"] == after)]["value"].to_numpy()
        if not a.size or not b.size:
            continue
        tp = (thr["loop"] == loop) & (thr["users"] == users) & (thr["rate"] == rate)
        ta = thr[tp & (thr["mode"] == before)]["value"].to_numpy()
        tb = thr[tp & (thr["mode"] == after)]["value"].to_numpy()
        row: dict[str, Any] = {"loop": loop, "users": users, "rate": rate, "step": step}
        for name, ratio in (("p50", ratio_of_medians(a, b)), ("p95", ratio_of_quantiles(a, b, 0.95))):
            row.update({f"{name}_ratio": ratio.value, f"{name}_ci_low": ratio.ci_low, f"{name}_ci_high": ratio.ci_high})
        if ta.size and tb.size and np.median(ta) > 0:
            r = ratio_of_medians(ta, tb)
            row.update({"rps_ratio": r.value, "rps_ci_low": r.ci_low, "rps_ci_high": r.ci_high})
        else:
            row.update({"rps_ratio": float("nan"), "rps_ci_low": float("nan"), "rps_ci_high": float("nan")})
        rows.append(row)
    return pd.DataFrame(rows)


def memory_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per mode: RSS at start, end and peak (MB), and the trend (MB/min) fitted over the loaded second half."""
    mem = frame[frame["kind"] == "memory"]
    rows = []
    for mode, group in mem.groupby("mode", sort=False):
        t, mb = group["t"].to_numpy(), group["value"].to_numpy() / 2**20
        half = t >= t.min() + (t.max() - t.min()) / 2
        slope = float(np.polyfit(t[half], mb[half], 1)[0] * 60) if half.sum() >= 3 else float("nan")
        rows.append({"mode": mode, "start_mb": mb[0], "end_mb": mb[-1], "peak_mb": mb.max(),
                     "growth_mb": mb[-1] - mb[0], "trend_mb_per_min": slope, "samples": len(mb),
                     "seconds": float(t.max() - t.min())})
    return pd.DataFrame(rows)
