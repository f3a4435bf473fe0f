"""The seed's "Connection Pool Efficiency: 95%", measured by 04_pooling.

Efficiency is defined from what the run measured: the share of checkouts served by a connection
that was already open (no new connection opened for it), per time slice of each load.
"""

from __future__ import annotations

from labkit.bench.results import Results
from labkit.claims.base import Figure, Finding, Verdict, figure_of

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
        raise ValueError("the run measured no QueuePool")
    return str(pools.sort_values("pool_size")["case"].iloc[-1])


def pool_efficiency(results: Results) -> Finding:
    """Confirmed when the pool reuses open connections for >= 95% of checkouts at every worker count."""
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
    holds = [w for w in workers if figures[w].value >= CLAIMED_EFFICIENCY]
    shown = "; ".join(f"{w} workers {figures[w].value:.1f}% [{figures[w].ci_low:.1f}, {figures[w].ci_high:.1f}]"
                      for w in workers)
    definition = "share of checkouts served by an already-open connection"
    verdict: Verdict
    if len(holds) == len(workers):
        verdict, why = "confirmed", f"{label}: {definition} ≥ {CLAIMED_EFFICIENCY:g}% at every load ({shown})"
    elif not holds:
        verdict, why = "not reproduced", f"{label}: {definition} below {CLAIMED_EFFICIENCY:g}% ({shown})"
    else:
        fails = [w for w in workers if w not in holds]
        verdict = "depends"
        why = (f"depends on concurrency: {label} reuses open connections for ≥ {CLAIMED_EFFICIENCY:g}% of "
               f"checkouts with {', '.join(map(str, holds))} workers but not with {', '.join(map(str, fails))} "
               f"({shown}; {definition})")
    return Finding(verdict, why, before=before, after=figures[top], ratio=None, run_id=results.run_id)


EVALUATORS = {"pool_efficiency": pool_efficiency}
