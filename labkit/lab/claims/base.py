"""A claim of the seed document, and what a saved run says about it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from labkit.lab.bench.results import Results
from labkit.lab.bench.stats import Ratio, ratio_of_medians, summarize
from labkit.lab.errors import ResultsError

__all__ = ["Verdict", "Figure", "Finding", "Claim", "figure_of", "ratio_of", "before_after",
           "preferred_backends", "ratio_text", "speedup_verdict", "ci_verdict", "count_verdict", "close_call"]

Verdict = Literal["confirmed", "not reproduced", "depends", "pending"]


@dataclass(frozen=True)
class Figure:
    """A measured value with its 95% CI, in a display unit (`ms`, `rows/s`, `%`, `MB`...)."""

    value: float
    ci_low: float
    ci_high: float
    unit: str

    def format(self, digits: int = 3, *, ci: bool = True) -> str:
        """`12.3 ms [11.9, 12.8]`, or `12.3 ms` without the CI."""
        shown = f"{_number(self.value, digits)} {self.unit}"
        return f"{shown} [{_number(self.ci_low, digits)}, {_number(self.ci_high, digits)}]" if ci else shown


def _number(value: float, digits: int) -> str:
    """`digits` significant digits, but whole numbers from 10**digits up (2,001 rather than 2e+03)."""
    return f"{value:,.0f}" if abs(value) >= 10**digits else f"{value:.{digits}g}"


@dataclass(frozen=True)
class Finding:
    """Our before and after for one claim, their ratio, the verdict and why."""

    verdict: Verdict
    detail: str
    before: Figure | None = None
    after: Figure | None = None
    ratio: Ratio | None = None  # after / before, from the raw samples of one run
    run_id: str | None = None


@dataclass(frozen=True)
class Claim:
    """One row of the seed's tables: its words and numbers, and the experiment that measures it.

    `evaluate` reads the experiment's latest saved results and returns a `Finding`; it is None
    until that experiment exists, and the claim then shows as pending.
    """

    id: str
    table: Literal["before_after", "targets", "detail"]
    metric: str
    seed_before: str
    seed_after: str
    seed_change: str
    experiment: str
    evaluate: Callable[[Results], Finding] | None = field(default=None, compare=False)

    @property
    def seed_text(self) -> str:
        """The seed's figures in one phrase: `300ms → 120ms, -60%` or `goal < 200ms, reported 120ms`."""
        if self.table == "targets":
            return f"{self.seed_before}, reported {self.seed_after}"
        figures = " → ".join(part for part in (self.seed_before, self.seed_after) if part)
        if figures and self.seed_change:
            return f"{figures}, {self.seed_change}"
        return figures or self.seed_change


def speedup_verdict(ratio: Ratio, claimed_ratio: float) -> Verdict:
    """`confirmed` when the measured after/before ratio is at least as good as the claimed one."""
    return "confirmed" if ratio.value <= claimed_ratio else "not reproduced"


def ci_verdict(measured: Figure | Ratio, claimed: float, *, higher_is_better: bool = False) -> Verdict:
    """`confirmed` when the whole CI is on the claim's side of `claimed`, `not reproduced` when the whole
    CI is on the other side, else `depends` (the CI straddles it)."""
    low, high = measured.ci_low, measured.ci_high
    if higher_is_better:
        return "confirmed" if low >= claimed else "not reproduced" if high < claimed else "depends"
    return "confirmed" if high <= claimed else "not reproduced" if low > claimed else "depends"


def count_verdict(holding: int, measured: int) -> Verdict:
    """Over the conditions a run measured (sizes, workloads, steps): `confirmed` when the claim held in
    all of them, `not reproduced` in none, else `depends`."""
    return "confirmed" if holding == measured else "not reproduced" if holding == 0 else "depends"


def ratio_text(ratio: Ratio) -> str:
    """`0.412× [0.38, 0.45]`: an after/before ratio and its CI to three significant digits."""
    return f"{ratio.value:.3g}× [{ratio.ci_low:.3g}, {ratio.ci_high:.3g}]"


def close_call(ratio: Ratio, claimed_ratio: float) -> str:
    """A note when the ratio's CI straddles the claimed ratio (the verdict then rests on the median alone)."""
    if ratio.ci_low <= claimed_ratio <= ratio.ci_high:
        return (f"; the CI [{ratio.ci_low:.3g}, {ratio.ci_high:.3g}] spans the claimed {claimed_ratio:g}×, "
                "too close to call in this run")
    return ""


_UNIT_SCALE = {"s": 1.0, "ms": 1e3, "us": 1e6, "µs": 1e6}


def _values(results: Results, where: Mapping[str, object]) -> object:
    samples = results.samples(**where)  # type: ignore[arg-type]
    if samples.empty:
        raise ResultsError(f"run {results.run_id} has no samples where {dict(where)}")
    return samples["value"].to_numpy()


def figure_of(results: Results, *, unit: str = "ms", scale: float | None = None, **where: object) -> Figure:
    """Median and CI of the timed samples matching `where`, scaled from seconds to `unit`."""
    factor = scale if scale is not None else _UNIT_SCALE.get(unit, 1.0)
    s = summarize(_values(results, where))  # type: ignore[arg-type]
    return Figure(s.median * factor, s.ci_low * factor, s.ci_high * factor, unit)


def ratio_of(results: Results, before: Mapping[str, object], after: Mapping[str, object]) -> Ratio:
    """median(after)/median(before) with a bootstrap CI, both from the same saved run."""
    return ratio_of_medians(_values(results, before), _values(results, after))  # type: ignore[arg-type]


def before_after(
    results: Results, before: Mapping[str, object], after: Mapping[str, object], *, unit: str = "ms",
    scale: float | None = None,
) -> tuple[Figure, Figure, Ratio]:
    """Our before and after (median and CI in `unit`) and their ratio, from the samples matching each."""
    return (figure_of(results, unit=unit, scale=scale, **before), figure_of(results, unit=unit, scale=scale, **after),
            ratio_of(results, before, after))


def preferred_backends(frame: pd.DataFrame, results: Results) -> list[str]:
    """The backends `frame` has rows for, PostgreSQL first (it decides a verdict), then by name."""
    if frame.empty or "backend" not in frame:
        raise ResultsError(f"run {results.run_id} has no rows for this claim")
    return sorted(set(frame["backend"]), key=lambda b: (b != "postgresql", b))
