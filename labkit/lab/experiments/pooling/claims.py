"""The seed's "Connection Pool Efficiency: 95%", measured by 04_pooling.

Efficiency is defined from what the run measured: the share of checkouts served by a connection
that was already open (no new connection opened for it), per time slice of each load.
"""

from __future__ import annotations

from labkit.lab.bench.results import Results
from labkit.lab.claims.base import Figure, Finding, Verdict, ci_verdict, figure_of
from labkit.lab.errors import ResultsError

__all__ = ["EVALUATORS", "pool_efficiency", "CLAIMED_EFFICIENCY"]

CLAIMED_EFFICIENCY = 95.0


def _pool_case(results: Results) -> str:
    """The seed's pool when the run measured it, else the largest QueuePool it measured."""
    frame = results.samples(kind="load_efficiency")
    cases = set(frame["case"])
    if "seed_pool" in cases:
        return "seed_pool"
    pools = frame[frame["case"] != "nullpool"]
    if pools.empty:
        raise ResultsError("the run measured no QueuePool")
    return str(pools.sort_values("pool_size")["case"].iloc[-1])


def pool_efficiency(results: Results) -> Finding:
    """Confirmed when the reuse share's CI lies at or above 95% at every worker count; else per count."""
    case = _pool_case(results)
    frame = results.samples(kind="load_efficiency", case=case)
    label = str(frame["label"].iloc[0])
    workers = sorted(int(w) for w in frame["workers"].unique())
    figures: dict[int, Figure] = {
        w: figure_of(results, unit="%", scale=1.0, kind="load_efficiency", case=case, workers=w) for w in workers
    }
    top = workers[-1]
    before = None
    if not results.samples(kind="load_efficiency", case="nullpool", workers=top).empty:
        before = figure_of(results, unit="%", scale=1.0, kind="load_efficiency", case="nullpool", workers=top)
    at = {w: ci_verdict(figures[w], CLAIMED_EFFICIENCY, higher_is_better=True) for w in workers}
    holds, fails, unsure = ([w for w in workers if at[w] == v] for v in ("confirmed", "not reproduced", "depends"))
    shown = "; ".join(f"{w} workers {figures[w].value:.1f}% [{figures[w].ci_low:.1f}, {figures[w].ci_high:.1f}]"
                      for w in workers)
    definition = "share of checkouts served by an already-open connection, median and 95% CI"
    verdict: Verdict
    if len(holds) == len(workers):
        verdict, why = "confirmed", f"{label}: ≥ {CLAIMED_EFFICIENCY:g}% at every load ({definition}: {shown})"
    elif len(fails) == len(workers):
        verdict, why = "not reproduced", f"{label}: below {CLAIMED_EFFICIENCY:g}% at every load ({definition}: {shown})"
    else:
        parts = [f"{name} {', '.join(map(str, ws))} workers" for name, ws in
                 (("holds with", holds), ("fails with", fails), ("undecided (CI spans it) with", unsure)) if ws]
        verdict = "depends"
        why = (f"depends on concurrency: {label} reaching {CLAIMED_EFFICIENCY:g}% {'; '.join(parts)} "
               f"({definition}: {shown})")
    return Finding(verdict, why, before=before, after=figures[top], ratio=None, run_id=results.run_id)


EVALUATORS = {"pool_efficiency": pool_efficiency}
