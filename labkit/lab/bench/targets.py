"""Speed targets as ratios: rows that `make bench` prints, each with its CI and a verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from labkit.lab.bench.stats import Ratio

__all__ = ["BenchRow", "format_bench_table"]


@dataclass(frozen=True)
class BenchRow:
    """One same-run comparison: B's time over A's, and the most it may be (None: informational)."""

    suite: str
    name: str
    ratio: Ratio
    target_max: float | None = None

    @property
    def verdict(self) -> str:
        """`met` when the ratio is within target, `missed` otherwise, `info` without a target."""
        if self.target_max is None:
            return "info"
        return "met" if self.ratio.value <= self.target_max else "missed"


def format_bench_table(rows: Sequence[BenchRow]) -> str:
    """A plain-text table of ratios, CIs, targets and verdicts."""
    headers = ("suite", "comparison", "ratio [95% CI]", "target", "verdict")
    body = [
        (r.suite, r.name, r.ratio.format(), "" if r.target_max is None else f"<= {r.target_max:g}×", r.verdict)
        for r in rows
    ]
    widths = [max(len(h), *(len(row[i]) for row in body)) if body else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in body]
    return "\n".join(lines)
