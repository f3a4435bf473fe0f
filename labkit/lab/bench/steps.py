"""Where a series of per-commit figures moved beyond its noise: a penalised piecewise-constant fit, then a test.

Like asv, the series is assumed piecewise constant plus noise. Candidate steps come from the optimal
partition (least weighted squares on log values, a penalty per extra segment); a candidate is a
confirmed step only when the two segments' means differ by more than the noise allows (Student's t at
a Bonferroni-corrected level) and by more than a practical threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from labkit.lab.bench.stats import Z95, t_quantile

__all__ = ["Step", "segments", "find_steps"]


@dataclass(frozen=True)
class Step:
    """A confirmed move between two segments: at index `at` (first point of the new level)."""

    at: int
    before: float  # segment means, in the series' own scale (not log)
    after: float
    ci_low: float  # CI of after/before
    ci_high: float
    statistic: float

    @property
    def ratio(self) -> float:
        return self.after / self.before


def _fit(y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Prefix sums so a segment's weighted squared error is O(1)."""
    return (np.concatenate([[0.0], np.cumsum(w)]), np.concatenate([[0.0], np.cumsum(w * y)]))


def segments(
    log_values: Sequence[float] | np.ndarray, variances: Sequence[float] | np.ndarray, penalty: float | None = None
) -> list[int]:
    """Start indices of the segments of the best penalised fit (the first is always 0)."""
    y, v = np.asarray(log_values, float), np.asarray(variances, float)
    n = y.size
    if n == 0:
        return []
    w = 1.0 / np.maximum(v, 1e-12)
    sw, swy = _fit(y, w)
    swyy = np.concatenate([[0.0], np.cumsum(w * y * y)])
    beta = penalty if penalty is not None else 2.0 * math.log(max(n, 3)) + 2.0

    def cost(i: int, j: int) -> float:  # weighted SSE of y[i:j] around its weighted mean
        ws, wys = sw[j] - sw[i], swy[j] - swy[i]
        return float(swyy[j] - swyy[i] - wys * wys / ws)

    best = np.full(n + 1, math.inf)
    best[0] = -beta
    start = np.zeros(n + 1, dtype=int)
    for j in range(1, n + 1):
        for i in range(j):
            c = best[i] + beta + cost(i, j)
            if c < best[j]:
                best[j], start[j] = c, i
    cuts, j = [], n
    while j > 0:
        cuts.append(int(start[j]))
        j = int(start[j])
    return sorted(cuts)


def find_steps(
    log_values: Sequence[float], variances: Sequence[float], *, df: int | None = None, threshold: float = 0.05,
    alpha: float = 0.05, tests: int = 1,
) -> list[Step]:
    """Confirmed steps: adjacent segments whose means differ beyond noise (df None: variances known) and threshold."""
    y, v = np.asarray(log_values, float), np.asarray(variances, float)
    starts = segments(y, v)
    bounds = [*starts, y.size]
    crit = t_quantile(1 - alpha / max(1, tests) / 2, df if df else 10_000)
    found = []
    for k in range(1, len(starts)):
        left, right = slice(bounds[k - 1], bounds[k]), slice(bounds[k], bounds[k + 1])
        wl, wr = 1 / np.maximum(v[left], 1e-12), 1 / np.maximum(v[right], 1e-12)
        ml, mr = float((wl * y[left]).sum() / wl.sum()), float((wr * y[right]).sum() / wr.sum())
        se = math.sqrt(1 / wl.sum() + 1 / wr.sum())
        delta = mr - ml
        if abs(delta) > crit * se and abs(math.expm1(delta)) > threshold:
            found.append(Step(at=bounds[k], before=math.exp(ml), after=math.exp(mr),
                              ci_low=math.exp(delta - Z95 * se), ci_high=math.exp(delta + Z95 * se),
                              statistic=delta / se))
    return found
