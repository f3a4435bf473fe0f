"""What each fault did, from the saved rows of 09_faults: errors, latency, recovery, hit rate, data lost.

Recovery is read from half-second bins of requests (by due time) after the fault's end: a bin is
*bad* when a request in it failed or its median latency exceeds `slow_factor` times the median of
the calm before the fault (and that median plus `slack_s`). The service has recovered at the start
of the first bin from which every bin to the end of the window is good; a lone slow request on a
busy machine does not count, a service still failing or still slow does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["fault_table", "timeline", "verdicts", "headline"]


def _windows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["kind"] == "fault"].sort_values("t")


def _hit_rate(cache: pd.DataFrame, mode: str, lo: float, hi: float) -> float:
    """Percent of the lookups between `lo` and `hi` that hit (bypassed lookups count as lookups); NaN if none."""
    own = cache[cache["mode"] == mode]

    def at(counter: str, t: float) -> float:
        series = own[own["counter"] == counter].sort_values("t")
        before = series[series["t"] <= t]
        return float(before["value"].iloc[-1]) if len(before) else float("nan")

    lookups = at("lookups", hi) - at("lookups", lo)
    return 100.0 * (at("hits", hi) - at("hits", lo)) / lookups if lookups > 0 else float("nan")


def _errors_by_status(failed: pd.DataFrame) -> str:
    counts = failed["status"].value_counts().sort_index()
    return ", ".join(f"{'no answer' if s == 0 else s}×{n}" for s, n in counts.items()) or "none"


def _recovery(after: pd.DataFrame, end: float, until: float, slow_s: float, bin_s: float) -> float:
    """Seconds from `end` to the start of the first bin after which every bin is good; NaN if the last is bad."""
    edges = np.arange(end, until - 1e-9, bin_s)
    good = []
    for lo in edges:
        own = after[(after["t"] >= lo) & (after["t"] < lo + bin_s)]
        good.append(own.empty or (bool(own["ok"].astype(bool).all()) and float(own["value"].median()) <= slow_s))
    if not good or not good[-1]:
        return float("nan")
    first = len(good)
    while first > 0 and good[first - 1]:
        first -= 1
    return float(edges[first] - end) if first < len(edges) else float("nan")


def fault_table(frame: pd.DataFrame, *, slow_factor: float = 3.0, slack_s: float = 0.02,
                bin_s: float = 0.5) -> pd.DataFrame:
    """One row per fault and mode: requests, errors by status, p99 during the fault, recovery s, hit rates, lost."""
    lat = frame[(frame["kind"] == "latency") & (frame["phase"] == "sample")]
    cache = frame[frame["kind"] == "cache"]
    ledger = frame[frame["kind"] == "ledger"]
    rows = []
    for w in _windows(frame).itertuples():
        written = ledger[(ledger["t"] >= w.calm) & (ledger["t"] < w.until)]
        for mode, own in lat.groupby("mode", sort=True):
            calm = own[(own["t"] >= w.calm) & (own["t"] + own["value"] < w.t)]
            during = own[(own["t"] >= w.t) & (own["t"] < w.t_end)]
            after = own[(own["t"] >= w.t_end) & (own["t"] < w.until)]
            calm_median = float(calm["value"].median()) if len(calm) else 0.0
            recovery = _recovery(after, w.t_end, w.until, max(slow_factor * calm_median, calm_median + slack_s),
                                 bin_s)
            failed = during[~during["ok"].astype(bool)]
            rows.append({
                "fault": w.fault, "label": w.label, "mode": mode, "requests": len(during), "errors": len(failed),
                "errors_by_status": _errors_by_status(failed),
                "p99_calm_ms": 1e3 * float(np.quantile(calm["value"], 0.99)) if len(calm) else np.nan,
                "p99_fault_ms": 1e3 * float(np.quantile(during["value"], 0.99)) if len(during) else np.nan,
                "recovery_s": recovery, "recovered": not np.isnan(recovery),
                "errors_after": int((~after["ok"].astype(bool)).sum()),
                "hit_rate_before_pct": _hit_rate(cache, mode, w.calm, w.t),
                "hit_rate_after_pct": _hit_rate(cache, mode, w.t_end, w.until),
                "writes": len(written), "writes_lost": int((written["value"] == 0).sum()),
            })
    return pd.DataFrame(rows)


def timeline(frame: pd.DataFrame, bin_s: float = 0.5) -> pd.DataFrame:
    """Per mode and time bin (by due time): requests, error rate (%) and p99 latency (ms)."""
    lat = frame[frame["kind"] == "latency"].assign(bin=lambda f: (f["t"] // bin_s) * bin_s)
    grouped = lat.groupby(["mode", "bin"])
    out = grouped.agg(requests=("value", "size"), p99_ms=("value", lambda v: 1e3 * float(np.quantile(v, 0.99))))
    out["error_pct"] = 100.0 * grouped["ok"].apply(lambda ok: float((~ok.astype(bool)).mean()))
    return out.reset_index().rename(columns={"bin": "t"})


def verdicts(table: pd.DataFrame, *, max_recovery_s: float = 2.0) -> pd.DataFrame:
    """Per fault and mode: resilient when it recovered within `max_recovery_s`, answered every failure with a 503
    or 504 (no 500, no dropped connection) and lost no acknowledged write; else why not."""
    out = []
    for r in table.itertuples():
        problems = []
        if not r.recovered:
            problems.append("did not recover within the window")
        elif r.recovery_s > max_recovery_s:
            problems.append(f"took {r.recovery_s:.1f} s to recover")
        unexpected = [part for part in r.errors_by_status.split(", ")
                      if part != "none" and not part.startswith(("503×", "504×"))]
        if unexpected:
            problems.append("answered " + ", ".join(unexpected))
        if r.writes_lost:
            problems.append(f"lost {r.writes_lost} acknowledged writes")
        out.append({"fault": r.fault, "mode": r.mode, "verdict": "resilient" if not problems else "not resilient",
                    "why": "; ".join(problems) or "recovered, errors only 503/504, nothing lost"})
    return pd.DataFrame(out)


def headline(table: pd.DataFrame) -> str:
    """One line for the index: per mode, faults survived and the slowest recovery."""
    parts = []
    for mode, own in table.groupby("mode", sort=True):
        good = verdicts(own)["verdict"].eq("resilient").sum()
        slowest = own["recovery_s"].max()
        parts.append(f"{mode} {good}/{len(own)} faults resilient"
                     + ("" if np.isnan(slowest) else f", recovery ≤ {slowest:.1f} s")
                     + f", {int(own['errors'].sum())} errors")
    return "; ".join(parts)
