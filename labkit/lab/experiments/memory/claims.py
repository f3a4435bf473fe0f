"""07_memory: the seed's "Memory Usage 500 MB → 350 MB (-30%)" and its "< 400 MB" target."""

from __future__ import annotations

from labkit.lab.bench.results import Results
from labkit.lab.bench.stats import Ratio
from labkit.lab.claims.base import (
    Figure,
    Finding,
    Verdict,
    before_after,
    figure_of,
    preferred_backends,
    speedup_verdict,
)

__all__ = ["EVALUATORS", "CLAIMED_RATIO", "TARGET_MB", "BEFORE", "AFTER"]

CLAIMED_RATIO = 0.7  # 350 MB / 500 MB
TARGET_MB = 400.0
BEFORE, AFTER = "orm_objects", "labkit_rows"
_MB = 1e-6


def _where(results: Results) -> dict[str, object]:
    samples = results.samples()
    backend = preferred_backends(samples, results)[0]
    return {"backend": backend, "rows": int(samples.loc[samples["backend"] == backend, "rows"].iloc[0])}


def _orm_against_rows(results: Results, metric: str, where: dict[str, object]) -> tuple[Figure, Figure, Ratio]:
    """ORM objects (before) and labkit's rows (after) on one memory metric, in MB, with their ratio."""
    before, after = {"case": BEFORE, "metric": metric, **where}, {"case": AFTER, "metric": metric, **where}
    return before_after(results, before, after, unit="MB", scale=_MB)


def memory_usage(results: Results) -> Finding:
    """Peak RSS growth of loading N students as ORM objects (before) vs labkit's projection rows (after)."""
    where = _where(results)
    before, after, ratio = _orm_against_rows(results, "rss_growth", where)
    stream = figure_of(results, unit="MB", scale=_MB, case="orm_yield_per", metric="rss_growth", **where)
    detail = (f"RSS growth loading {where['rows']:,} students on {where['backend']}: ORM objects "
              f"{before.value:.1f} MB → labkit rows {after.value:.1f} MB ({ratio.value - 1:+.0%}); "
              f"ORM streamed with yield_per {stream.value:.1f} MB. Scales with rows held at once and columns read")
    return Finding(speedup_verdict(ratio, CLAIMED_RATIO), detail, before, after, ratio)


def target_memory(results: Results) -> Finding:
    """Whole-process peak RSS with labkit's rows against the 400 MB goal, and where ORM objects cross it."""
    where = _where(results)
    before, after, ratio = _orm_against_rows(results, "rss_peak", where)
    growth = figure_of(results, unit="MB", scale=_MB, case=BEFORE, metric="rss_growth", **where)
    base = before.value - growth.value
    rows = int(where["rows"])  # type: ignore[call-overload]
    per_row = growth.value / rows if rows else 0.0
    cross = f"{(TARGET_MB - base) / per_row:,.0f}" if per_row > 0 else "never"
    verdict: Verdict = "confirmed" if after.ci_high < TARGET_MB else "not reproduced"
    detail = (f"peak process RSS at {rows:,} rows on {where['backend']}: labkit rows {after.value:.0f} MB, ORM "
              f"objects {before.value:.0f} MB, of which {base:.0f} MB before loading "
              f"(interpreter and libraries); at {per_row * 1e6:,.0f} bytes per ORM row the ORM path "
              f"crosses {TARGET_MB:.0f} MB near {cross} rows")
    return Finding(verdict, detail, before, after, ratio)


EVALUATORS = {"memory_usage": memory_usage, "target_memory": target_memory}
