"""A claim of the seed document, and what a saved run says about it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from labkit.lab.bench.results import Results
from labkit.lab.bench.stats import Ratio, ratio_of_medians, summarize
from labkit.lab.errors import ResultsError

__all__ = ["Verdict", "Figure", "Finding", "Claim", "figure_of", "ratio_of", "ratio_text", "speedup_verdict",
           "close_call"]

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


def _values(results: Results, where: dict[str, object]) -> object:
    samples = results.samples(**where)  # type: ignore[arg-type]
    if samples.empty:
        raise ResultsError(f"run {results.run_id} has no samples where {where}")
    return samples["value"].to_numpy()


def figure_of(results: Results, *, unit: str = "ms", scale: float | None = None, **where: object) -> Figure:
    """Median and CI of the timed samples matching `where`, scaled from seconds to `unit`."""
    factor = scale if scale is not None else _UNIT_SCALE.get(unit, 1.0)
    s = summarize(_values(results, where))  # type: ignore[arg-type]
    return Figure(s.median * factor, s.ci_low * factor, s.ci_high * factor, unit)


def ratio_of(results: Results, before: dict[str, object], after: dict[str, object]) -> Ratio:
    """median(after)/median(before) with a bootstrap CI, both from the same saved run."""
    return ratio_of_medians(_values(results, before), _values(results, after))  # type: ignore[arg-type]
