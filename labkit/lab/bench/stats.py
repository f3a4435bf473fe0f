"""Statistics computed from raw samples: percentiles, IQR, bootstrap CIs of medians and ratios."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from labkit.lab.errors import ParameterError

Z95 = NormalDist().inv_cdf(0.975)  # a normal 95% interval's half-width in standard errors

__all__ = [
    "Z95", "Summary", "Ratio", "summarize", "bootstrap_median_ci", "ratio_of_medians", "ratio_of_medians_at",
           "t_quantile"]

DEFAULT_RESAMPLES = 2000
DEFAULT_CONFIDENCE = 0.95


def _as_array(samples: Sequence[float] | np.ndarray) -> np.ndarray:
    array = np.asarray(samples, dtype=float)
    if array.ndim != 1 or array.size == 0:
        raise ParameterError(f"need a non-empty 1-D sequence of samples, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ParameterError("samples must be finite numbers")
    return array


def _resampled_medians(x: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    # Chunked so that 2,000 resamples of 100k samples never need one huge index matrix.
    out = np.empty(resamples)
    chunk = max(1, 2_000_000 // x.size)
    for start in range(0, resamples, chunk):
        stop = min(resamples, start + chunk)
        idx = rng.integers(0, x.size, size=(stop - start, x.size))
        out[start:stop] = np.median(x[idx], axis=1)
    return out


def bootstrap_median_ci(
    samples: Sequence[float] | np.ndarray,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile-bootstrap confidence interval of the median."""
    x = _as_array(samples)
    if x.size == 1:
        return float(x[0]), float(x[0])
    medians = _resampled_medians(x, resamples, np.random.default_rng(seed))
    alpha = (1 - confidence) / 2
    low, high = np.quantile(medians, [alpha, 1 - alpha])
    return float(low), float(high)


@dataclass(frozen=True)
class Summary:
    """Descriptive statistics of one case's samples (seconds, or whatever unit was sampled)."""

    n: int
    mean: float
    median: float
    p95: float
    p99: float
    q1: float
    q3: float
    iqr: float
    min: float
    max: float
    ci_low: float
    ci_high: float
    confidence: float

    def as_dict(self) -> dict[str, float]:
        """Plain mapping, handy for tables."""
        return dict(self.__dict__)


def summarize(
    samples: Sequence[float] | np.ndarray,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> Summary:
    """Median, p95, p99, IQR and a bootstrap CI of the median, all from the raw samples."""
    x = _as_array(samples)
    q1, median, q3, p95, p99 = np.quantile(x, [0.25, 0.5, 0.75, 0.95, 0.99])
    low, high = bootstrap_median_ci(x, confidence=confidence, resamples=resamples, seed=seed)
    return Summary(
        n=int(x.size),
        mean=float(x.mean()),
        median=float(median),
        p95=float(p95),
        p99=float(p99),
        q1=float(q1),
        q3=float(q3),
        iqr=float(q3 - q1),
        min=float(x.min()),
        max=float(x.max()),
        ci_low=low,
        ci_high=high,
        confidence=confidence,
    )


@dataclass(frozen=True)
class Ratio:
    """median(B) / median(A) with a bootstrap CI: how many times A's time B takes."""

    value: float
    ci_low: float
    ci_high: float
    confidence: float = DEFAULT_CONFIDENCE

    @property
    def speedup(self) -> float:
        """A/B: how many times faster B is than A (the inverse of `value`)."""
        return 1.0 / self.value

    def excludes(self, threshold: float = 1.0) -> bool:
        """True when the whole CI lies on one side of `threshold`."""
        return self.ci_high < threshold or self.ci_low > threshold

    def format(self, digits: int = 2) -> str:
        """`1.23× [1.10, 1.35]`: the ratio and its CI for tables and verdicts."""
        return f"{self.value:.{digits}f}× [{self.ci_low:.{digits}f}, {self.ci_high:.{digits}f}]"


def ratio_of_medians(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> Ratio:
    """Ratio median(b)/median(a), CI by resampling both sample sets independently."""
    return ratio_of_medians_at(a, b, [confidence], resamples=resamples, seed=seed)[0]


def ratio_of_medians_at(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    confidences: Sequence[float],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> list[Ratio]:
    """`ratio_of_medians` at several confidence levels from one set of resamples (a gate needs two)."""
    xa, xb = _as_array(a), _as_array(b)
    if np.median(xa) <= 0:
        raise ParameterError("the median of A must be positive to form a ratio")
    rng = np.random.default_rng(seed)
    ma = _resampled_medians(xa, resamples, rng)
    mb = _resampled_medians(xb, resamples, rng)
    ma = np.where(ma > 0, ma, np.nan)
    ratios = mb / ma
    ratios = ratios[np.isfinite(ratios)]
    value = float(np.median(xb) / np.median(xa))
    out = []
    for confidence in confidences:
        alpha = (1 - confidence) / 2
        low, high = np.quantile(ratios, [alpha, 1 - alpha])
        out.append(Ratio(value, float(low), float(high), confidence))
    return out


def _t_two_sided_mass(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t with integer `df` (closed-form finite sums, Abramowitz & Stegun 26.7.3-4)."""
    theta = math.atan(t / math.sqrt(df))
    c2, term, total = math.cos(theta) ** 2, 1.0, 1.0
    if df % 2 == 1:
        if df == 1:
            return 2 * theta / math.pi
        for k in range(1, (df - 1) // 2):
            term *= c2 * (2 * k) / (2 * k + 1)
            total += term
        return 2 / math.pi * (theta + math.sin(theta) * math.cos(theta) * total)
    for k in range(1, df // 2):
        term *= c2 * (2 * k - 1) / (2 * k)
        total += term
    return math.sin(theta) * total


def t_quantile(p: float, df: int) -> float:
    """The `p` quantile (0.5 < p < 1) of Student's t with `df` degrees of freedom; normal beyond 300."""
    if not 0.5 < p < 1 or df < 1:
        raise ParameterError(f"need 0.5 < p < 1 and df >= 1, got p={p}, df={df}")
    if df > 300:
        return NormalDist().inv_cdf(p)
    target, low, high = 2 * p - 1, 0.0, 1.0
    while _t_two_sided_mass(high, int(df)) < target:
        high *= 2
    for _ in range(100):
        mid = (low + high) / 2
        low, high = (mid, high) if _t_two_sided_mass(mid, int(df)) < target else (low, mid)
    return (low + high) / 2
