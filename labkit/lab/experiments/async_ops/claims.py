"""06_async: the seed's "Sync vs Async (10 operations): 100 ms → 20 ms, 5×", from the saved run."""

from __future__ import annotations

from labkit.lab.bench.results import Results
from labkit.lab.claims.base import Finding, before_after, ratio_of, speedup_verdict
from labkit.lab.errors import ResultsError

__all__ = ["EVALUATORS", "CLAIMED_RATIO"]

CLAIMED_RATIO = 0.2  # 20 ms / 100 ms
_BASE, _ASYNC = "sync_sequential", "async_gather"


def _grid_threshold(results: Results, n_ops: int) -> tuple[float | None, str]:
    """The smallest injected latency at which gather reached the claimed ratio, and the ratios seen."""
    grid = results.samples(section="grid")
    if grid.empty:
        return None, ""
    sizes = sorted(grid["n_ops"].unique(), key=lambda n: abs(int(n) - n_ops))
    n = int(sizes[0])
    seen, reached = [], None
    for latency in sorted(grid.loc[grid["n_ops"] == n, "latency_ms"].unique()):
        r = ratio_of(results, {"case": _BASE, "section": "grid", "n_ops": n, "latency_ms": latency},
                     {"case": _ASYNC, "section": "grid", "n_ops": n, "latency_ms": latency})
        seen.append(f"{latency:g} ms: {r.speedup:.1f}×")
        if reached is None and r.value <= CLAIMED_RATIO:
            reached = float(latency)
    return reached, f"{n} database reads with pg_sleep per read — " + ", ".join(seen)


def async_10_ops(results: Results) -> Finding:
    """Sync one-after-another vs asyncio.gather for the mixed batch, and where 5× appears."""
    kinds = results.samples(section="kinds")
    if kinds.empty:
        raise ResultsError(f"run {results.run_id} has no 'kinds' section")
    kind = "mix" if (kinds["kind"] == "mix").any() else str(kinds["kind"].iloc[0])
    n_ops = int(kinds["n_ops"].iloc[0])
    where: dict[str, object] = {"section": "kinds", "kind": kind}
    before, after, ratio = before_after(results, {"case": _BASE, **where}, {"case": _ASYNC, **where})
    verdict = speedup_verdict(ratio, CLAIMED_RATIO)
    reached, grid = _grid_threshold(results, n_ops)
    head = (f"{n_ops} {kind} reads without added latency: gather is {ratio.speedup:.2f}× sync "
            f"({before.value:.2f} → {after.value:.2f} ms)")
    if verdict == "confirmed":
        detail = f"{head}; grid: {grid}" if grid else head
    elif reached is not None:
        verdict = "depends"
        detail = f"{head}; 5× needs each read to wait ≥ {reached:g} ms on the server ({grid})"
    else:
        detail = f"{head}; no latency in the grid reached 5× ({grid})" if grid else head
    return Finding(verdict, detail, before, after, ratio)


EVALUATORS = {"async_10_ops": async_10_ops}
