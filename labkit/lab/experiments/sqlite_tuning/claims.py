"""The seed's SQLite tuning (WAL, memory-mapped I/O, a larger cache), measured by 05_sqlite_tuning.

The seed gives no figure: the verdict says where labkit's tuned profile beats the driver defaults.
"""

from __future__ import annotations

from labkit.lab.bench.results import Results
from labkit.lab.bench.stats import Ratio
from labkit.lab.claims.base import Finding, before_after, count_verdict, ratio_of, ratio_text
from labkit.lab.errors import ResultsError

__all__ = ["EVALUATORS", "sqlite_tuning", "WORKLOAD_ORDER", "MIN_READS"]

WORKLOAD_ORDER = ("small_transactions", "bulk_write", "point_reads", "scan", "reader")
MIN_READS = 10  # fewer reads than this on one side: compare reads completed, not median latency


def sqlite_tuning(results: Results) -> Finding:
    """Tuned/default time per workload: all faster confirms, none faster is not reproduced, else depends."""
    samples = results.samples()
    measured = [k for k in WORKLOAD_ORDER if not samples[(samples["kind"] == k) & (samples["case"] == "tuned")].empty
                and not samples[(samples["kind"] == k) & (samples["case"] == "default")].empty]
    if not measured:
        raise ResultsError("the run has no workload measured on both the default and the tuned profile")
    starved = ""
    if "reader" in measured:
        reads = samples[samples["kind"] == "reader"].groupby("case").size()
        n_default, n_tuned = int(reads.get("default", 0)), int(reads.get("tuned", 0))
        if min(n_default, n_tuned) < MIN_READS:
            # too few reads for a median: the default reader was locked out (or the run too short)
            measured.remove("reader")
            if n_default * 10 <= n_tuned:
                starved = (f"readers during a writer (the default reader was starved: {n_default} reads "
                           f"completed vs {n_tuned} tuned)")
    if not measured:
        raise ResultsError("the run has no workload measured often enough on both profiles")
    ratios: dict[str, Ratio] = {
        k: ratio_of(results, {"kind": k, "case": "default"}, {"kind": k, "case": "tuned"}) for k in measured
    }
    names = {k: str(samples.loc[samples["kind"] == k, "workload"].iloc[0]).split(":")[0] for k in measured}
    faster = [k for k in measured if ratios[k].ci_high < 1.0]
    faster_names = [names[k] for k in faster] + ([starved] if starved else [])
    slower = [k for k in measured if ratios[k].ci_low > 1.0]
    # before/after: the commit-heavy workload the seed's WAL advice is about, else the biggest gain
    best = "small_transactions" if "small_transactions" in measured else min(measured, key=lambda k: ratios[k].value)
    shown = "; ".join(f"{names[k]} {ratio_text(ratios[k])}" for k in measured)
    # a starved default reader counts as one more workload on which the tuned profile is faster
    verdict = count_verdict(len(faster_names), len(measured) + bool(starved))
    if verdict == "confirmed":
        why = f"the tuned profile is faster on every workload (tuned/default: {shown})"
        if starved:
            why += f"; and on {starved}"
    elif verdict == "not reproduced":
        why = f"the tuned profile is faster on no workload (tuned/default: {shown})"
    else:
        rest = [names[k] for k in measured if k not in faster]
        slower_text = f" (slower: {', '.join(names[k] for k in slower)})" if slower else ""
        why = (f"depends on the workload: faster on {', '.join(faster_names)}; "
               f"no faster on {', '.join(rest)}{slower_text}. tuned/default: {shown}. "
               f"Before/after shown for {names[best]}")
    before, after, ratio = before_after(results, {"kind": best, "case": "default"}, {"kind": best, "case": "tuned"})
    return Finding(verdict, why, before=before, after=after, ratio=ratio, run_id=results.run_id)


EVALUATORS = {"sqlite_tuning": sqlite_tuning}
