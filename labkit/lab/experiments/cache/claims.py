"""The seed's cache claims, evaluated from the latest saved run of `01_cache`.

Latencies: the seed's figure is read as "at most", judged by the 95% CI of our median on Redis.
Hit rate: a property of the workload, so the verdict is confirmed only if every replayed
workload reached the figure, not reproduced if none did, and otherwise "depends" with the
conditions under which it was reached.
"""

from __future__ import annotations

from collections.abc import Callable

from labkit.lab.bench.results import Results
from labkit.lab.claims.base import Figure, Finding, before_after, ci_verdict, count_verdict, figure_of
from labkit.lab.errors import ResultsError
from labkit.lab.experiments.cache.hit_analysis import describe_reach, steady_hit_rates

__all__ = ["EVALUATORS", "SEED_HIT_RATE", "TARGET_HIT_RATE", "SEED_LATENCIES_MS", "headline"]

SEED_HIT_RATE = 85.0  # the seed's "Cache Hit Rate: 85%"
TARGET_HIT_RATE = 80.0  # the seed's target "Cache Hit Rate > 80%"
SEED_BATCH = 100
# claim id -> (our case, the case it replaces or None, the seed's figure in ms)
SEED_LATENCIES_MS: dict[str, tuple[str, str | None, float]] = {
    "cache_get": ("get", None, 0.5),
    "cache_set": ("set", None, 0.8),
    "cache_batch_get_100": ("get_many", "get_loop", 5.0),
    "cache_batch_set_100": ("set_many", "set_loop", 8.0),
}


def _study(results: Results, study: str) -> None:
    frame = results.frame
    if "study" not in frame.columns or not (frame["study"] == study).any():
        raise ResultsError(f"run {results.run_id} has no {study!r} rows")


def _latency(claim_id: str) -> Callable[[Results], Finding]:
    case, replaced, claimed = SEED_LATENCIES_MS[claim_id]

    def evaluate(results: Results) -> Finding:
        _study(results, "operations")
        where: dict[str, object] = {"study": "operations", "backend": "redis"}
        if replaced is not None:
            where["batch"] = SEED_BATCH
        if replaced is None:
            before, after, ratio = None, figure_of(results, unit="ms", case=case, **where), None  # type: ignore[arg-type]
        else:
            before, after, ratio = before_after(results, {"case": replaced, **where}, {"case": case, **where})
        verdict = ci_verdict(after, claimed)
        how = {"confirmed": f"{claimed / after.value:.0f}× under the seed's {claimed:g} ms",
               "not reproduced": f"{after.value / claimed:.1f}× the seed's {claimed:g} ms",
               "depends": f"the CI straddles the seed's {claimed:g} ms"}[verdict]
        detail = f"median {after.format()} on Redis, one client over loopback: {how}"
        if before is not None and ratio is not None:
            detail += f"; one by one the same {SEED_BATCH} keys take {before.format()}, {ratio.speedup:.1f}× longer"
        return Finding(verdict, detail, before=before, after=after, ratio=ratio)

    return evaluate


def _hit_rate(target: float) -> Callable[[Results], Finding]:
    def evaluate(results: Results) -> Finding:
        _study(results, "hit_rate")
        steady = steady_hit_rates(results.frame[results.frame["study"] == "hit_rate"])
        reached = steady[steady["hit_rate"] >= target]
        best = steady.loc[steady["hit_rate"].idxmax()]
        after = Figure(float(best["hit_rate"]), float(best["ci_low"]), float(best["ci_high"]), "%")
        verdict = count_verdict(len(reached), len(steady))
        detail = (f"{len(reached)} of {len(steady)} Zipf workloads reach {target:g}% in steady state — "
                  f"{describe_reach(steady, target)}. Best: {best['label']}")
        return Finding(verdict, detail, after=after)

    return evaluate


EVALUATORS: dict[str, Callable[[Results], Finding]] = {
    "cache_hit_rate": _hit_rate(SEED_HIT_RATE),
    "target_cache_hit_rate": _hit_rate(TARGET_HIT_RATE),
    **{claim_id: _latency(claim_id) for claim_id in SEED_LATENCIES_MS},
}


def headline(results: Results) -> str:
    """The run in one line, in the seed's terms: Redis latencies beside its figures, workloads reaching 85%."""
    parts = []
    try:
        figures = {cid: EVALUATORS[cid](results).after for cid in SEED_LATENCIES_MS}
        parts.append("Redis GET / SET / batch GET / batch SET of 100: " + " / ".join(
            f"{f.value:.2g}" for f in figures.values() if f is not None
        ) + " ms (seed: " + " / ".join(f"{c:g}" for _, _, c in SEED_LATENCIES_MS.values()) + " ms)")
    except ResultsError:
        pass
    try:
        _study(results, "hit_rate")
        steady = steady_hit_rates(results.frame[results.frame["study"] == "hit_rate"])
        reached = int((steady["hit_rate"] >= SEED_HIT_RATE).sum())
        parts.append(f"{SEED_HIT_RATE:g}% hit rate in {reached} of {len(steady)} Zipf workloads")
    except ResultsError:
        pass
    return "; ".join(parts) or "no cache figure measured"
